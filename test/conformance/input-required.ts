/**
 * Fixtures that ask the client for input: elicitation, sampling and roots.
 *
 * They are written once, in the 2026-07-28 multi-round-trip style: the
 * handler returns `inputRequired(...)` and is called again with the client's
 * `inputResponses` (and the `requestState` the handler minted), so no server instance
 * has to wait for anything between rounds. That is the only way these
 * features can work on Azure Functions, where each POST may land on another
 * instance.
 *
 * The kit's `defineTool` has no access to `inputResponses` or `requestState`
 * yet, so these are registered against the SDK's `McpServer` directly.
 *
 * On 2025-era requests the SDK tries to fulfil an input-required result
 * itself with server-to-client requests; a stateless server has no session
 * for those, so the SDK fails the call at once with a message saying so. The
 * four 2025-11-25 scenarios that expect push-style requests therefore fail
 * quickly and by design (see expected-failures.2025-11-25.yaml).
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type ElicitRequestFormParams,
  type GetPromptResult,
  type InputRequest,
  type InputRequests,
  type InputRequiredResult,
  type McpServer,
  type RequestStateCodec,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";

/**
 * What the fixtures keep in `requestState` between rounds. The codec signs it
 * (the client can read it but not change it); `tool` stops a state minted by
 * one tool from being replayed to another.
 */
export interface FlowState {
  readonly tool: string;
  readonly round: number;
  readonly name?: string;
}

const flowStateSchema = z.object({ tool: z.string(), round: z.number().int(), name: z.string().optional() });

type ToolOutcome = CallToolResult | InputRequiredResult;
type Schema = ElicitRequestFormParams["requestedSchema"];

const noArguments = z.object({});
const nameSchema = z.object({ name: z.string() });

function text(value: string): CallToolResult {
  return { content: [{ type: "text", text: value }] };
}

function elicit(message: string, requestedSchema: Schema): InputRequest {
  return inputRequired.elicit({ message, requestedSchema });
}

function askName(message: string): InputRequest {
  return elicit(message, { type: "object", properties: { name: { type: "string" } }, required: ["name"] });
}

function askConfirmation(): InputRequest {
  return elicit("Please confirm", { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] });
}

/**
 * The verified state of this round, when it belongs to `tool`. The SDK has
 * already run the codec's `verify` (a forged state never gets here); the
 * shape is checked again because the accessor's type parameter is only a cast.
 */
function stateFor(ctx: ServerContext, tool: string): FlowState | undefined {
  const parsed = flowStateSchema.safeParse(ctx.mcpReq.requestState());
  return parsed.success && parsed.data.tool === tool ? parsed.data : undefined;
}

/** How the client answered an elicitation, or that it has not yet. */
type Elicited<T> = { readonly kind: "accepted"; readonly content: T } | { readonly kind: "refused"; readonly action: string } | { readonly kind: "missing" };

/**
 * Reads an elicitation answer. Content that does not match `schema` counts as
 * missing, so the question is asked again rather than trusted.
 */
function elicited<S extends z.ZodType>(ctx: ServerContext, key: string, schema: S): Elicited<z.infer<S>> {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== "elicit") return { kind: "missing" };
  if (view.action !== "accept") return { kind: "refused", action: view.action };
  const parsed = schema.safeParse(view.content);
  return parsed.success ? { kind: "accepted", content: parsed.data } : { kind: "missing" };
}

/** The text of a sampling answer, or undefined when there is none yet. */
function sampledText(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== "sampling") return undefined;
  const blocks: readonly unknown[] = Array.isArray(view.result.content) ? view.result.content : [view.result.content];
  return blocks
    .map((block) => (typeof block === "object" && block !== null && (block as { type?: unknown }).type === "text" ? String((block as { text?: unknown }).text) : ""))
    .join("");
}

function rootsAnswer(ctx: ServerContext, key: string): { uri: string; name?: string }[] | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  return view.kind === "roots" ? view.roots : undefined;
}

/** The client capabilities a 2026-07-28 request declares in its `_meta` envelope; empty on 2025-era requests. */
function clientCapabilities(ctx: ServerContext): Record<string, unknown> {
  // The SDK types the envelope as an empty object; its keys are the reserved `_meta` names.
  const envelope = ctx.mcpReq.envelope as Readonly<Record<string, unknown>> | undefined;
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  return typeof declared === "object" && declared !== null ? (declared as Record<string, unknown>) : {};
}

function askCapital(): InputRequest {
  return inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }], maxTokens: 100 });
}

/** Registers every input-asking fixture on `server`; `codec` signs and reads their `requestState`. */
export function registerInputRequiredFixtures(server: McpServer, codec: RequestStateCodec<FlowState>): void {
  // `test_streaming_elicitation` is the same tool under the name the 2026-07-28
  // stateless scenario uses to check that asking for input arrives as a result
  // on the response stream, never as a request of its own.
  for (const name of ["test_input_required_result_elicitation", "test_streaming_elicitation"]) {
    server.registerTool(
      name,
      { description: "Asks the user for their name, then greets them.", inputSchema: noArguments },
      async (_args, ctx): Promise<ToolOutcome> => {
        const answer = elicited(ctx, "user_name", nameSchema);
        if (answer.kind === "missing") return inputRequired({ inputRequests: { user_name: askName("What is your name?") } });
        return text(answer.kind === "accepted" ? `Hello, ${answer.content.name}!` : `No name given (${answer.action}).`);
      },
    );
  }

  server.registerTool(
    "test_input_required_result_sampling",
    { description: "Asks the client's model a question and returns its answer.", inputSchema: noArguments },
    async (_args, ctx): Promise<ToolOutcome> => {
      const answer = sampledText(ctx, "capital_question");
      if (answer === undefined) return inputRequired({ inputRequests: { capital_question: askCapital() } });
      return text(`The model answered: ${answer}`);
    },
  );

  server.registerTool(
    "test_input_required_result_list_roots",
    { description: "Asks the client for its roots and lists them.", inputSchema: noArguments },
    async (_args, ctx): Promise<ToolOutcome> => {
      const roots = rootsAnswer(ctx, "client_roots");
      if (roots === undefined) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`Client roots: ${roots.map((root) => (root.name === undefined ? root.uri : `${root.name} <${root.uri}>`)).join(", ") || "none"}`);
    },
  );

  for (const tool of ["test_input_required_result_request_state", "test_input_required_result_tampered_state"]) {
    server.registerTool(
      tool,
      { description: "Asks for a confirmation and carries signed state from the first round to the second.", inputSchema: noArguments },
      async (_args, ctx): Promise<ToolOutcome> => {
        const state = stateFor(ctx, tool);
        const answer = elicited(ctx, "confirm", z.object({ ok: z.boolean() }));
        if (state === undefined || answer.kind === "missing") {
          return inputRequired({ inputRequests: { confirm: askConfirmation() }, requestState: await codec.mint({ tool, round: 1 }, ctx) });
        }
        return text(`state-ok: round ${state.round} state verified; ${answer.kind === "accepted" ? `confirmed=${answer.content.ok}` : answer.action}`);
      },
    );
  }

  server.registerTool(
    "test_input_required_result_multiple_inputs",
    { description: "Asks for a name, a model-written greeting and the client's roots in one round.", inputSchema: noArguments },
    async (_args, ctx): Promise<ToolOutcome> => {
      const tool = "test_input_required_result_multiple_inputs";
      const name = elicited(ctx, "user_name", nameSchema);
      const greeting = sampledText(ctx, "greeting");
      const roots = rootsAnswer(ctx, "client_roots");
      if (stateFor(ctx, tool) === undefined || name.kind === "missing" || greeting === undefined || roots === undefined) {
        return inputRequired({
          inputRequests: {
            user_name: askName("What is your name?"),
            greeting: inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text: "Generate a greeting" } }], maxTokens: 50 }),
            client_roots: inputRequired.listRoots(),
          },
          requestState: await codec.mint({ tool, round: 1 }, ctx),
        });
      }
      const who = name.kind === "accepted" ? name.content.name : "someone who would not say";
      return text(`${greeting} (to ${who}; ${roots.length} root(s))`);
    },
  );

  server.registerTool(
    "test_input_required_result_multi_round",
    { description: "Asks for a name, then for a favourite colour, across two rounds of signed state.", inputSchema: noArguments },
    async (_args, ctx): Promise<ToolOutcome> => {
      const tool = "test_input_required_result_multi_round";
      const state = stateFor(ctx, tool);
      const askStep1 = async (): Promise<InputRequiredResult> =>
        inputRequired({ inputRequests: { step1: askName("Step 1: What is your name?") }, requestState: await codec.mint({ tool, round: 1 }, ctx) });
      if (state === undefined) return askStep1();
      if (state.round === 1) {
        const name = elicited(ctx, "step1", nameSchema);
        if (name.kind === "missing") return askStep1();
        return inputRequired({
          inputRequests: {
            step2: elicit("Step 2: What is your favorite color?", { type: "object", properties: { color: { type: "string" } }, required: ["color"] }),
          },
          requestState: await codec.mint({ tool, round: 2, name: name.kind === "accepted" ? name.content.name : "anonymous" }, ctx),
        });
      }
      const color = elicited(ctx, "step2", z.object({ color: z.string() }));
      if (color.kind === "missing") return askStep1();
      return text(`${state.name ?? "anonymous"}'s favorite color: ${color.kind === "accepted" ? color.content.color : "not given"}`);
    },
  );

  server.registerTool(
    "test_input_required_result_capabilities",
    { description: "Asks only for the kinds of input the client declared it can give.", inputSchema: noArguments },
    async (_args, ctx): Promise<ToolOutcome> => {
      const capabilities = clientCapabilities(ctx);
      const answered = Object.keys(ctx.mcpReq.inputResponses ?? {});
      if (answered.length > 0) return text(`Received: ${answered.sort().join(", ")}`);
      const wanted: InputRequests = {};
      if ("elicitation" in capabilities) wanted["user_name"] = askName("What is your name?");
      if ("sampling" in capabilities) wanted["capital_question"] = askCapital();
      if ("roots" in capabilities) wanted["client_roots"] = inputRequired.listRoots();
      if (Object.keys(wanted).length === 0) return text("The client declared no capability to answer with; nothing to ask.");
      return inputRequired({ inputRequests: wanted });
    },
  );

  // Always needs sampling, so a client that did not declare it gets the SDK's
  // MissingRequiredClientCapabilityError (-32021) instead of a request it cannot answer.
  server.registerTool(
    "test_missing_capability",
    { description: "Needs the client's sampling capability; refused when the client did not declare it.", inputSchema: noArguments },
    async (_args, ctx): Promise<ToolOutcome> => {
      const answer = sampledText(ctx, "capital_question");
      if (answer === undefined) return inputRequired({ inputRequests: { capital_question: askCapital() } });
      return text(`The model answered: ${answer}`);
    },
  );

  server.registerPrompt(
    "test_input_required_result_prompt",
    { title: "Prompt that asks first", description: "Asks the user for context before building the prompt." },
    async (ctx): Promise<GetPromptResult | InputRequiredResult> => {
      const answer = elicited(ctx, "user_context", z.object({ context: z.string() }));
      if (answer.kind === "missing") {
        return inputRequired({
          inputRequests: {
            user_context: elicit("What context should the prompt use?", { type: "object", properties: { context: { type: "string" } }, required: ["context"] }),
          },
        });
      }
      const context = answer.kind === "accepted" ? answer.content.context : "(none given)";
      return { messages: [{ role: "user", content: { type: "text", text: `Answer with this context in mind: ${context}` } }] };
    },
  );

  registerPushEraFixtures(server);
}

/**
 * The 2025-11-25 fixtures that the suite expects to reach the client as
 * server-to-client requests (`sampling/createMessage`, `elicitation/create`)
 * during the call. Written in the same multi-round-trip style: a 2026-07-28
 * client gets `inputRequests` and everything works; a 2025 client on this
 * stateless server gets a fast `isError` result from the SDK explaining that
 * per-request serving cannot receive server-to-client requests.
 */
function registerPushEraFixtures(server: McpServer): void {
  server.registerTool(
    "test_sampling",
    { description: "Sends a prompt to the client's model and returns its answer.", inputSchema: z.object({ prompt: z.string().describe("The prompt to send to the model") }) },
    async ({ prompt }, ctx): Promise<ToolOutcome> => {
      const answer = sampledText(ctx, "completion");
      if (answer === undefined) {
        return inputRequired({
          inputRequests: { completion: inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 100 }) },
        });
      }
      return text(`LLM response: ${answer}`);
    },
  );

  const answerText = (label: string, ctx: ServerContext): string | undefined => {
    const view = inputResponse(ctx.mcpReq.inputResponses, "form");
    return view.kind === "elicit" ? `${label}: action=${view.action}, content=${JSON.stringify(view.content ?? {})}` : undefined;
  };

  server.registerTool(
    "test_elicitation",
    { description: "Asks the user for a user name and an email address.", inputSchema: z.object({ message: z.string().describe("The message to show the user") }) },
    async ({ message }, ctx): Promise<ToolOutcome> => {
      const answer = answerText("User response", ctx);
      if (answer !== undefined) return text(answer);
      const requestedSchema: Schema = {
        type: "object",
        properties: {
          username: { type: "string", description: "User's response" },
          email: { type: "string", description: "User's email address" },
        },
        required: ["username", "email"],
      };
      return inputRequired({ inputRequests: { form: elicit(message, requestedSchema) } });
    },
  );

  const formTool = (name: string, description: string, message: string, requestedSchema: Schema): void => {
    server.registerTool(name, { description, inputSchema: noArguments }, async (_args, ctx): Promise<ToolOutcome> => {
      const answer = answerText("Elicitation completed", ctx);
      return answer !== undefined ? text(answer) : inputRequired({ inputRequests: { form: elicit(message, requestedSchema) } });
    });
  };

  formTool(
    "test_elicitation_sep1034_defaults",
    "Asks for a form whose every field has a default (SEP-1034).",
    "Please review and update the form fields with defaults",
    {
      type: "object",
      properties: {
        name: { type: "string", description: "User name", default: "John Doe" },
        age: { type: "integer", description: "User age", default: 30 },
        score: { type: "number", description: "User score", default: 95.5 },
        status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
        verified: { type: "boolean", description: "Verification status", default: true },
      },
      required: [],
    },
  );

  formTool(
    "test_elicitation_sep1330_enums",
    "Asks for a form with every enum style of SEP-1330.",
    "Please select options from the enum fields",
    {
      type: "object",
      properties: {
        untitledSingle: { type: "string", description: "Select one option", enum: ["option1", "option2", "option3"] },
        titledSingle: {
          type: "string",
          description: "Select one option with titles",
          oneOf: [
            { const: "value1", title: "First Option" },
            { const: "value2", title: "Second Option" },
            { const: "value3", title: "Third Option" },
          ],
        },
        legacyEnum: {
          type: "string",
          description: "Select one option (legacy)",
          enum: ["opt1", "opt2", "opt3"],
          enumNames: ["Option One", "Option Two", "Option Three"],
        },
        untitledMulti: {
          type: "array",
          description: "Select multiple options",
          minItems: 1,
          maxItems: 3,
          items: { type: "string", enum: ["option1", "option2", "option3"] },
        },
        titledMulti: {
          type: "array",
          description: "Select multiple options with titles",
          minItems: 1,
          maxItems: 3,
          items: {
            anyOf: [
              { const: "value1", title: "First Choice" },
              { const: "value2", title: "Second Choice" },
              { const: "value3", title: "Third Choice" },
            ],
          },
        },
      },
      required: [],
    },
  );
}

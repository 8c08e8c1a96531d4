import { z } from "zod";
import { defineTool, obo, ToolError } from "../lib/mcp/index.js";

/** Microsoft Graph's v1.0 base URL, or its local stand-in under npm start. */
function graphBaseUrl(): string {
  return (process.env["GRAPH_BASE_URL"] ?? "https://graph.microsoft.com/v1.0").replace(/\/$/, "");
}

/** The signed-in user's profile from Microsoft Graph, fetched On-Behalf-Of the user. */
export default defineTool({
  name: "graph_me",
  title: "My Microsoft 365 profile",
  description: "Returns the signed-in user's profile from Microsoft Graph (display name, e-mail, job title, office location).",
  input: {},
  output: {
    id: z.string(),
    displayName: z.string().nullable(),
    userPrincipalName: z.string().nullable(),
    mail: z.string().nullable(),
    jobTitle: z.string().nullable(),
    officeLocation: z.string().nullable(),
  },
  needs: { graph: obo(["https://graph.microsoft.com/User.Read"]) },
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(_args, { graph }) {
    let response: Response;
    try {
      response = await graph.fetch(`${graphBaseUrl()}/me?$select=id,displayName,userPrincipalName,mail,jobTitle,officeLocation`);
    } catch (cause) {
      throw new ToolError("Microsoft Graph could not be reached; try again later.", { cause });
    }
    if (!response.ok) throw new ToolError(`Microsoft Graph answered ${response.status}; try again later.`);
    const me = (await response.json()) as Record<string, string | null | undefined>;
    return {
      id: me["id"] ?? "",
      displayName: me["displayName"] ?? null,
      userPrincipalName: me["userPrincipalName"] ?? null,
      mail: me["mail"] ?? null,
      jobTitle: me["jobTitle"] ?? null,
      officeLocation: me["officeLocation"] ?? null,
    };
  },
});

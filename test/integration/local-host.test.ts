import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import azureFunctions, { type HttpResponseInit } from "@azure/functions";
import { createLocalHost, type HostedEndpoint, type LocalHost } from "../../lib/host/server.js";
import { freePort } from "../support/kit.js";
import { callTool } from "../support/mcp-calls.js";

const { HttpResponse } = azureFunctions;

describe("local host", () => {
  let host: LocalHost;
  let baseUrl: URL;
  const lines: string[] = [];
  const endpoints: HostedEndpoint[] = [
    {
      name: "echoParams",
      route: "items/{id:int}/{*rest}",
      methods: ["GET"],
      handler: async (request) => ({ jsonBody: { params: request.params, query: request.query.get("q"), method: request.method } }),
    },
    {
      name: "cookies",
      route: "cookies",
      methods: ["GET"],
      handler: async (): Promise<HttpResponseInit> => ({
        status: 204,
        headers: { "Keep-Alive": "timeout=99", "X-Kept": "yes" },
        cookies: [
          { name: "__Host-a", value: "1", path: "/", secure: true, httpOnly: true, sameSite: "Lax" },
          { name: "b", value: "2", maxAge: 60 },
        ],
      }),
    },
    {
      name: "instance",
      route: "instance",
      methods: ["POST"],
      handler: async (request) => new HttpResponse({ status: 201, body: `got ${(await request.text()).length} bytes` }),
    },
    {
      name: "throws",
      route: "throws",
      methods: ["GET"],
      handler: async () => {
        throw new Error("internal detail");
      },
    },
  ];

  before(async () => {
    host = createLocalHost({ endpoints, log: (line) => lines.push(line), invocationLog: (_level, message) => lines.push(message) });
    baseUrl = await host.listen(0, "127.0.0.1");
  });
  after(async () => host.close(100));

  it("binds route parameters and query values like the Functions host", async () => {
    const response = await fetch(new URL("/items/42/a/b?q=x", baseUrl));
    assert.deepEqual(await response.json(), { params: { id: "42", rest: "a/b" }, query: "x", method: "GET" });
  });

  it("answers unknown paths and undeclared methods with an empty 404", async () => {
    for (const [path, method] of [["/nowhere", "GET"], ["/items/x/y", "GET"], ["/cookies", "POST"], ["/", "GET"]] as const) {
      const response = await fetch(new URL(path, baseUrl), { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(await response.text(), "");
    }
  });

  it("writes each cookie as its own Set-Cookie header, with no Domain unless one was given", async () => {
    const response = await fetch(new URL("/cookies", baseUrl));
    assert.equal(response.status, 204);
    assert.deepEqual(response.headers.getSetCookie(), ["__Host-a=1; Path=/; HttpOnly; Secure; SameSite=Lax", "b=2; Max-Age=60"]);
    assert.equal(response.headers.get("x-kept"), "yes");
    assert.notEqual(response.headers.get("keep-alive"), "timeout=99", "hop-by-hop headers from the handler are dropped");
  });

  it("accepts an HttpResponse instance and streams the request body to the handler", async () => {
    const response = await fetch(new URL("/instance", baseUrl), { method: "POST", body: "x".repeat(100_000) });
    assert.equal(response.status, 201);
    assert.equal(await response.text(), "got 100000 bytes");
  });

  it("answers an unhandled exception with an empty 500 and logs it", async () => {
    const response = await fetch(new URL("/throws", baseUrl));
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "");
    assert.ok(lines.some((line) => line.includes("internal detail")));
  });

  it("logs one line per request with method, path, status and duration", async () => {
    await fetch(new URL("/items/7/z", baseUrl));
    assert.ok(lines.some((line) => /^GET \/items\/7\/z 200 \d+\.\dms$/.test(line)), lines.join("\n"));
  });

  it("refuses two endpoints with the same name", () => {
    assert.throws(() => createLocalHost({ endpoints: [endpoints[0]!, endpoints[0]!] }), /Two endpoints are named/);
  });
});

/** `node dist/scripts/start.js` with `env` (on top of this process's), its output collected. */
function spawnStart(env: Record<string, string | undefined>): { child: ReturnType<typeof spawn>; output: () => string; ready: () => Promise<void>; exitCode: () => Promise<number | null> } {
  const child = spawn(process.execPath, ["dist/scripts/start.js"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    output: () => output,
    async ready() {
      const deadline = Date.now() + 15_000;
      while (!output.includes("Press Ctrl+C") && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    exitCode: () => exited,
  };
}

describe("npm start", () => {
  it("starts the Entra stand-in with the app in proxy mode, and a token from the token command calls a tool", async function () {
    this.timeout(30_000);
    const port = await freePort();
    const start = spawnStart({ PORT: String(port), DEV_ENTRA_PORT: "0", DEV_GRAPH_PORT: "0", DEV_IDENTITY_PORT: "0", DEV_DEMO_PORT: "0" });
    try {
      await start.ready();
      const output = start.output();
      assert.match(output, /Sign-in +proxy mode, through the local Entra stand-in at https:\/\/localhost:\d+/);
      assert.match(output, /npm run token -- alice/);
      const standIn = /local Entra stand-in at (https:\/\/localhost:\d+)/.exec(output)![1]!;

      const anonymous = await fetch(`http://localhost:${port}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(anonymous.status, 401);

      const tokenRun = spawn(process.execPath, ["dist/dev/cli.js", "token", "alice", "--authority", `${standIn}/11111111-1111-1111-1111-111111111111`], { stdio: ["ignore", "pipe", "pipe"] });
      let tokenOutput = "";
      tokenRun.stdout.on("data", (chunk: Buffer) => (tokenOutput += chunk.toString()));
      const [tokenExit] = (await once(tokenRun, "exit")) as [number | null];
      assert.equal(tokenExit, 0);
      const token = tokenOutput.trim().split("\n").pop()!;

      const mcpUrl = `http://localhost:${port}/mcp`;
      const me = await callTool(mcpUrl, token, "whoami");
      assert.equal(me.status, 200, me.body);
      assert.equal(me.structured?.["name"], "Alice Example");
      // The On-Behalf-Of examples reach the fake Graph and orders API that npm start runs.
      const profile = await callTool(mcpUrl, token, "graph_me");
      assert.equal(profile.isError, false, profile.text);
      assert.equal(profile.structured?.["displayName"], "Alice Example");
      const orders = await callTool(mcpUrl, token, "list_orders", { top: 5 });
      assert.equal(orders.isError, false, orders.text);
      assert.ok(Array.isArray(orders.structured?.["orders"]));
      // The demo downstream MCP server npm start runs, through the gateway, as alice, with a token for its own audience.
      assert.match(output, /Remote server +demo at https:\/\/localhost:\d+\/mcp: its tools are listed as demo_<tool> \(demo_whoami\)/);
      const proxied = await callTool(mcpUrl, token, "demo_whoami");
      assert.equal(proxied.isError, false, proxied.text);
      assert.equal(proxied.structured?.["oid"], "a11ce000-0000-4000-8000-000000000001");
      assert.equal(proxied.structured?.["aud"], "de30de30-0000-4000-8000-0000000000d3");
      // Beside it, the tools generated from the orders API's own OpenAPI document.
      assert.match(output, /Tools +.*list_orders, orders_listOrders, orders_createOrder, orders_getOrder, orders_getOrderInvoice/);
      const order = await callTool(mcpUrl, token, "orders_getOrder", { orderId: "1001" });
      assert.equal(order.isError, false, order.text);
      assert.equal(order.structured?.["item"], "Espresso beans, 1 kg");
    } finally {
      start.child.kill("SIGTERM");
    }
    assert.equal(await start.exitCode(), 0, start.output());
  });

  it("listens on 127.0.0.1 and ::1 only by default, and on every interface with BIND_ADDRESS=0.0.0.0", async function () {
    this.timeout(30_000);
    // An address of this machine that other machines reach it by: what a default npm start must not answer on.
    const external = Object.values(networkInterfaces()).flat().find((entry) => entry !== undefined && !entry.internal && entry.family === "IPv4")?.address;
    assert.ok(external !== undefined, "this test needs a network interface besides loopback");
    const answers = async (host: string, port: number): Promise<boolean> => {
      try {
        return (await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(5000) })).status === 200;
      } catch {
        return false;
      }
    };
    for (const [bindAddress, reachableFromOutside] of [[undefined, false], ["0.0.0.0", true]] as const) {
      const port = await freePort();
      const start = spawnStart({ PORT: String(port), AUTH_MODE: "none", BIND_ADDRESS: bindAddress });
      try {
        await start.ready();
        const output = start.output();
        assert.equal(await answers("127.0.0.1", port), true, output);
        assert.equal(await answers(external, port), reachableFromOutside, `BIND_ADDRESS=${bindAddress ?? "(unset)"} at ${external}`);
        if (bindAddress === undefined) {
          assert.equal(await answers("[::1]", port), true, "::1 as well, for clients that resolve localhost to it");
          assert.match(output, /Listening on +127\.0\.0\.1 and ::1 \(this machine only/);
          assert.doesNotMatch(output, /WARNING/);
        } else {
          assert.match(output, /WARNING +AUTH_MODE=none on an address other machines can reach/);
        }
      } finally {
        start.child.kill("SIGTERM");
      }
      assert.equal(await start.exitCode(), 0, start.output());
    }
  });

  it("says which settings move the ports when one is in use, instead of a stack trace", async function () {
    this.timeout(20_000);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const start = spawnStart({ PORT: String(port), AUTH_MODE: "none" });
      const code = await start.exitCode();
      const output = start.output();
      assert.equal(code, 1, output);
      assert.match(output, new RegExp(`Port ${port} is already in use`));
      assert.match(output, /PORT .*DEV_ENTRA_PORT/);
      assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
    } finally {
      taken.close();
    }
  });

  it("serves /mcp on PORT, prints the MCP URL and stops cleanly on SIGTERM", async function () {
    this.timeout(20_000);
    const port = await freePort();
    const start = spawnStart({ PORT: String(port), AUTH_MODE: "none" });
    try {
      await start.ready();
      assert.match(start.output(), new RegExp(`MCP endpoint +http://localhost:${port}/mcp`));
      // No stand-ins, no ORDERS_API_URL: no tools generated for the fictional orders API.
      assert.match(start.output(), /Tools +echo, /);
      assert.doesNotMatch(start.output(), /orders_/);
      const response = await fetch(`http://localhost:${port}/mcp`, { method: "GET" });
      assert.equal(response.status, 405);
    } finally {
      start.child.kill("SIGTERM");
    }
    assert.equal(await start.exitCode(), 0, start.output());
    const output = start.output();
    assert.match(output, /GET \/mcp 405/);
    assert.match(output, /SIGTERM received, stopping/);
  });
});

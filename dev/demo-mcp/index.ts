/** The demo downstream MCP server the kit's gateway reaches (see dev/README.md). */
export { DemoMcpServer, startDemoMcpServer, tokenFingerprint } from "./server.js";
export type { DemoCaller, DemoFault, DemoFaultFilter, DemoMcpServerOptions, SeenToken } from "./server.js";

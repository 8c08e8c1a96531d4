import { z } from "zod";
import { claim, defineTool, user } from "../lib/mcp/index.js";

/** Who the server thinks you are: the signed-in user from the access token, no downstream call. */
export default defineTool({
  name: "whoami",
  title: "Who am I",
  description: "Returns the signed-in user as this server sees them: name, sign-in name, object id, tenant, app roles and scopes.",
  input: {},
  output: {
    name: z.string().optional(),
    upn: z.string().optional(),
    oid: z.string(),
    tid: z.string(),
    roles: z.array(z.string()),
    scopes: z.array(z.string()),
  },
  needs: { me: user(), scp: claim<string>("scp") },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(_args, { me, scp }) {
    return {
      ...(me.name === undefined ? {} : { name: me.name }),
      ...(me.upn === undefined ? {} : { upn: me.upn }),
      oid: me.oid,
      tid: me.tid,
      roles: [...me.roles],
      scopes: scp.split(" ").filter((scope) => scope !== ""),
    };
  },
});

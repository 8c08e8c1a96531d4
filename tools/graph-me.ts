import { z } from "zod";
import { defineTool, obo } from "../lib/mcp/index.js";
import { readMyProfile } from "./my-profile.js";
import profileCard from "./profile-card.js";

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
  // Clients that render MCP Apps show the result as a profile card; the others get the JSON as before.
  ui: profileCard,
  async run(_args, { graph }) {
    return readMyProfile(graph);
  },
});

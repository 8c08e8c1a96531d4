import { ToolError, type DownstreamToken } from "../lib/mcp/index.js";

/** The profile fields the examples read from Microsoft Graph. */
export interface MyProfile {
  readonly id: string;
  readonly displayName: string | null;
  readonly userPrincipalName: string | null;
  readonly mail: string | null;
  readonly jobTitle: string | null;
  readonly officeLocation: string | null;
}

/** Microsoft Graph's v1.0 base URL, or its local stand-in under npm start. */
function graphBaseUrl(): string {
  return (process.env["GRAPH_BASE_URL"] ?? "https://graph.microsoft.com/v1.0").replace(/\/$/, "");
}

/**
 * The signed-in user's profile from Microsoft Graph (`/me`), with a token
 * obtained On-Behalf-Of the user; shared by `graph_me` and the
 * `introduce_me` prompt. Failures are messages the user can read.
 */
export async function readMyProfile(graph: DownstreamToken): Promise<MyProfile> {
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
}

/**
 * Downstream scopes in words, for the consent page: "use Microsoft Graph as
 * you, to read your profile (User.Read)" where
 * "https://graph.microsoft.com/User.Read" would mean little to the person
 * deciding. APIs and permissions not listed
 * here are shown as their identifiers, never guessed at.
 */

/** Microsoft's APIs by resource origin, as their scopes name them (national clouds included). */
const MICROSOFT_APIS: ReadonlyMap<string, string> = new Map([
  ["https://graph.microsoft.com", "Microsoft Graph"],
  ["https://graph.microsoft.us", "Microsoft Graph"],
  ["https://dod-graph.microsoft.us", "Microsoft Graph"],
  ["https://microsoftgraph.chinacloudapi.cn", "Microsoft Graph"],
  ["https://management.azure.com", "Azure Resource Manager"],
  ["https://management.core.windows.net", "Azure Resource Manager"],
  ["https://storage.azure.com", "Azure Storage"],
  ["https://vault.azure.net", "Azure Key Vault"],
  ["https://database.windows.net", "Azure SQL Database"],
  ["https://ossrdbms-aad.database.windows.net", "Azure Database for PostgreSQL and MySQL"],
  ["https://servicebus.azure.net", "Azure Service Bus"],
  ["https://eventhubs.azure.net", "Azure Event Hubs"],
  ["https://cognitiveservices.azure.com", "Azure AI services"],
  ["https://ai.azure.com", "Azure AI Foundry"],
  ["https://kusto.kusto.windows.net", "Azure Data Explorer"],
  ["https://api.loganalytics.io", "Azure Monitor Logs"],
  ["https://analysis.windows.net/powerbi/api", "Power BI"],
  ["https://outlook.office.com", "Exchange Online"],
  ["https://outlook.office365.com", "Exchange Online"],
  ["https://api.fabric.microsoft.com", "Microsoft Fabric"],
  ["https://app.vssps.visualstudio.com", "Azure DevOps"],
  ["499b84ac-1321-427f-aa17-267ca6975798", "Azure DevOps"],
]);

/** Resource hosts whose tenant-specific subdomains name one API. */
const MICROSOFT_API_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  [".sharepoint.com", "SharePoint"],
  [".crm.dynamics.com", "Dataverse (Dynamics 365)"],
];

/** Common Microsoft Graph delegated permissions, as what they let a tool do. */
const GRAPH_PERMISSIONS: ReadonlyMap<string, string> = new Map([
  ["User.Read", "read your profile"],
  ["User.ReadBasic.All", "read the basic profiles of all users"],
  ["User.Read.All", "read the full profiles of all users"],
  ["Mail.Read", "read your mail"],
  ["Mail.ReadWrite", "read and change your mail"],
  ["Mail.Send", "send mail as you"],
  ["Calendars.Read", "read your calendars"],
  ["Calendars.ReadWrite", "read and change your calendars"],
  ["Contacts.Read", "read your contacts"],
  ["Files.Read", "read your files"],
  ["Files.ReadWrite", "read and change your files"],
  ["Files.Read.All", "read all files you can access"],
  ["Files.ReadWrite.All", "read and change all files you can access"],
  ["Sites.Read.All", "read items in all site collections you can access"],
  ["Tasks.ReadWrite", "read and change your tasks"],
  ["People.Read", "read the people relevant to you"],
  ["Chat.Read", "read your chats"],
  ["Team.ReadBasic.All", "read the names and descriptions of your teams"],
  ["Group.Read.All", "read all groups"],
  ["Presence.Read", "read your presence"],
]);

/**
 * What a downstream scope lets the server's tools do, as one line of the
 * consent page.
 *
 * @example
 * downstreamGrant("https://graph.microsoft.com/User.Read"); // "Let its tools use Microsoft Graph as you, to read your profile (User.Read)"
 * downstreamGrant("api://contoso-orders/Orders.Read");       // "Let its tools call the API api://contoso-orders as you (Orders.Read)"
 */
export function downstreamGrant(scope: string): string {
  const split = /^(.+)\/([^/]+)$/.exec(scope);
  if (split === null) return `Let its tools call another service as you (${scope})`;
  const [, resource, permission] = split as unknown as [string, string, string];
  const api = apiName(resource);
  if (api === undefined) return `Let its tools call the API ${resource} as you (${permission})`;
  const inWords = api === "Microsoft Graph" ? GRAPH_PERMISSIONS.get(permission) : undefined;
  return `Let its tools use ${api} as you${inWords === undefined ? "" : `, to ${inWords}`} (${permission})`;
}

function apiName(resource: string): string | undefined {
  const known = MICROSOFT_APIS.get(resource.toLowerCase());
  if (known !== undefined) return known;
  let host: string;
  try {
    host = new URL(resource).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  return MICROSOFT_API_SUFFIXES.find(([suffix]) => host.endsWith(suffix))?.[1];
}

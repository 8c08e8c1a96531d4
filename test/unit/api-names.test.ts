import assert from "node:assert/strict";
import { downstreamGrant } from "../../lib/oauth/api-names.js";

describe("downstream APIs on the consent page, in words", () => {
  it("names Microsoft's APIs and says what common Graph permissions do", () => {
    assert.equal(downstreamGrant("https://graph.microsoft.com/User.Read"), "Let its tools use Microsoft Graph as you, to read your profile (User.Read)");
    assert.equal(downstreamGrant("https://graph.microsoft.us/Mail.Send"), "Let its tools use Microsoft Graph as you, to send mail as you (Mail.Send)");
    assert.equal(downstreamGrant("https://graph.microsoft.com/Bookings.Read.All"), "Let its tools use Microsoft Graph as you (Bookings.Read.All)", "a permission not listed is named, not guessed at");
    assert.equal(downstreamGrant("https://management.azure.com/user_impersonation"), "Let its tools use Azure Resource Manager as you (user_impersonation)");
    assert.equal(downstreamGrant("https://storage.azure.com/user_impersonation"), "Let its tools use Azure Storage as you (user_impersonation)");
    assert.equal(downstreamGrant("https://contoso.sharepoint.com/AllSites.Read"), "Let its tools use SharePoint as you (AllSites.Read)");
    assert.equal(downstreamGrant("https://analysis.windows.net/powerbi/api/Dataset.Read.All"), "Let its tools use Power BI as you (Dataset.Read.All)");
    assert.equal(downstreamGrant("499b84ac-1321-427f-aa17-267ca6975798/user_impersonation"), "Let its tools use Azure DevOps as you (user_impersonation)");
  });

  it("shows an API it does not know by its identifier", () => {
    assert.equal(downstreamGrant("api://contoso-orders/Orders.Read"), "Let its tools call the API api://contoso-orders as you (Orders.Read)");
    assert.equal(downstreamGrant("https://graph.microsoft.com.evil.example/User.Read"), "Let its tools call the API https://graph.microsoft.com.evil.example as you (User.Read)", "no look-alike host passes for Graph");
    assert.equal(downstreamGrant("https://notsharepoint.com/AllSites.Read"), "Let its tools call the API https://notsharepoint.com as you (AllSites.Read)");
  });
});

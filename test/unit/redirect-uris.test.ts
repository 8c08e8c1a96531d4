import assert from "node:assert/strict";
import { checkRedirectUri, matchRedirectUri, RedirectUriError } from "../../lib/oauth/redirect-uris.js";

describe("redirect URI rules", () => {
  it("accepts https and loopback http", () => {
    for (const uri of ["https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:33418/callback", "http://localhost/cb", "http://[::1]:8080/", "https://vscode.dev/redirect?x=1"]) {
      assert.equal(checkRedirectUri(uri), uri);
    }
  });

  it("refuses dangerous schemes in every disguise", () => {
    for (const uri of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "\u0000javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "DATA:text/html,x",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "cursor://anysphere/cb",
      "https://ok.example/cb ",
      "https://ok.example/\ncb",
    ]) {
      assert.throws(() => checkRedirectUri(uri), RedirectUriError, JSON.stringify(uri));
    }
  });

  it("refuses remote http, fragments and user info", () => {
    for (const uri of ["http://evil.example/cb", "http://10.0.0.1/cb", "https://ok.example/cb#frag", "https://ok.example/cb#", "https://user:pw@ok.example/cb", "/relative/cb", ""]) {
      assert.throws(() => checkRedirectUri(uri), RedirectUriError, JSON.stringify(uri));
    }
  });

  it("matches exactly, except a loopback port", () => {
    const registered = ["https://app.example/cb", "http://127.0.0.1/callback", "http://localhost:3000/cb?mode=a"];
    assert.equal(matchRedirectUri("https://app.example/cb", registered), "https://app.example/cb");
    assert.equal(matchRedirectUri("http://127.0.0.1:54321/callback", registered), "http://127.0.0.1:54321/callback");
    assert.equal(matchRedirectUri("http://localhost:4000/cb?mode=a", registered), "http://localhost:4000/cb?mode=a");
    for (const attempt of [
      "https://app.example/cb/",
      "https://app.example/cb?x=1",
      "https://app.example/cb/extra",
      "https://APP.example/cb",
      "https://app.example:443/cb",
      "https://app.example/CB",
      "http://app.example/cb",
      "http://127.0.0.1:54321/callback/",
      "http://127.0.0.1:54321/other",
      "http://127.0.0.2:54321/callback",
      "http://localhost:4000/cb?mode=b",
      "HTTP://127.0.0.1:5/callback",
      "javascript://127.0.0.1/callback",
    ]) {
      assert.equal(matchRedirectUri(attempt, registered), undefined, attempt);
    }
  });
});

import assert from "node:assert/strict";
import { compileRoute, RouteTemplateError } from "../../lib/host/routes.js";

describe("route templates", () => {
  it("matches literal routes case-insensitively and ignores one trailing slash", () => {
    const route = compileRoute(".well-known/oauth-protected-resource");
    assert.deepEqual(route.match("/.well-known/oauth-protected-resource"), {});
    assert.deepEqual(route.match("/.Well-Known/OAuth-Protected-Resource/"), {});
    assert.equal(route.match("/.well-known/oauth-protected-resource/mcp"), undefined);
    assert.equal(route.match("/.well-known"), undefined);
  });

  it("binds parameters, applies constraints and decodes values", () => {
    const route = compileRoute("items/{id:int}/{name}");
    assert.deepEqual(route.match("/items/42/caf%C3%A9"), { id: "42", name: "café" });
    assert.equal(route.match("/items/abc/x"), undefined);
    assert.equal(route.match("/items/42"), undefined);
  });

  it("supports a trailing optional parameter and a catch-all", () => {
    const optional = compileRoute("files/{name?}");
    assert.deepEqual(optional.match("/files"), {});
    assert.deepEqual(optional.match("/files/a"), { name: "a" });
    const catchAll = compileRoute("static/{*path}");
    assert.deepEqual(catchAll.match("/static/css/site.css"), { path: "css/site.css" });
    assert.deepEqual(catchAll.match("/static"), { path: "" });
  });

  it("rejects templates the Functions host would reject", () => {
    assert.throws(() => compileRoute("admin/keys"), RouteTemplateError);
    assert.throws(() => compileRoute("runtime/status"), RouteTemplateError);
    assert.throws(() => compileRoute("a/{*rest}/b"), RouteTemplateError);
    assert.throws(() => compileRoute("a/{x?}/b"), RouteTemplateError);
    assert.throws(() => compileRoute("a/{x:regex}"), RouteTemplateError);
    assert.throws(() => compileRoute("a/b{c}"), RouteTemplateError);
  });
});

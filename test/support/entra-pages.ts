/**
 * Signing in at the Entra stand-in through its pages, as a person does:
 * the sign-in page (pick a dev user), then, when the user has not consented
 * to everything asked, the consent page (Accept or Cancel). For tests that
 * must see what the stand-in asks the user, where `dev_auto=1` would skip it.
 */

/** The hidden fields of the first form in `html` matching `formPattern` (the stand-in's own HTML, entity-escaped). */
export function formFields(html: string, formPattern: RegExp): URLSearchParams {
  const form = formPattern.exec(html)?.[0];
  if (form === undefined) throw new Error(`no form ${formPattern} in: ${html.slice(0, 400)}`);
  const fields = new URLSearchParams();
  for (const match of form.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.append(unescape(match[1]!), unescape(match[2]!));
  return fields;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"' };

function unescape(text: string): string {
  return text.replace(/&(?:#(\d+)|(amp|lt|gt|quot));/g, (_, code: string | undefined, name: string | undefined) => (code === undefined ? ENTITIES[name!]! : String.fromCharCode(Number(code))));
}

export interface StandInPagesOptions {
  /** Alias of the dev user to pick on the sign-in page. */
  readonly user: string;
  /** What to answer on the consent page, when one is shown (default accept). */
  readonly consent?: "accept" | "deny";
  /** Receives the consent page, when one is shown. */
  readonly onConsentPage?: (html: string) => void;
}

/** Follows `authorizeUrl` through the stand-in's pages; resolves with where the stand-in redirects (the client's callback). */
export async function signInThroughPages(authorizeUrl: URL, options: StandInPagesOptions): Promise<URL> {
  const page = await fetch(authorizeUrl, { redirect: "manual" });
  if (page.status !== 200) throw new Error(`the stand-in's sign-in page answered ${page.status}: ${(await page.text()).slice(0, 300)}`);
  const signInForm = formFields(await page.text(), new RegExp(`<form method="post" action="[^"]*" class="dev-user" data-alias="${options.user}"[\\s\\S]*?</form>`));
  let answer = await post(authorizeUrl, signInForm);
  if (answer.status === 200) {
    const html = await answer.text();
    options.onConsentPage?.(html);
    const consentForm = formFields(html, /<form method="post" action="[^"]*" class="consent">[\s\S]*?<\/form>/);
    consentForm.set("dev_consent", options.consent ?? "accept");
    answer = await post(authorizeUrl, consentForm);
  }
  const location = answer.headers.get("location");
  if (answer.status !== 302 || location === null) throw new Error(`the stand-in answered ${answer.status}: ${(await answer.text()).slice(0, 300)}`);
  return new URL(location);
}

function post(authorizeUrl: URL, fields: URLSearchParams): Promise<Response> {
  return fetch(new URL(authorizeUrl.pathname, authorizeUrl.origin), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: fields,
  });
}

/** The permissions a consent page lists (`<resource>/<scope>`). */
export function permissionsOnPage(html: string): string[] {
  return [...html.matchAll(/<li data-scope="([^"]*)">/g)].map((match) => unescape(match[1]!));
}

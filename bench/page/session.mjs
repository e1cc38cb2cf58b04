// What the page bench shares: how Chromium starts here, and a signed-in
// session of the seeded admin.

/** Headless Chromium that makes no request of its own beyond the page's. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const ADMIN = { email: "admin@tidings.dev", password: "tidings-demo" };

/** Signs the seeded admin in; its session cookies, for a browser context. */
export async function signIn(base) {
  const response = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  });
  if (response.status !== 200) {
    throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
  }
  const { hostname } = new URL(base);
  return response.headers.getSetCookie().map((header) => {
    const [pair] = header.split(";");
    const at = pair.indexOf("=");
    return { name: pair.slice(0, at), value: pair.slice(at + 1), domain: hostname, path: "/" };
  });
}

/** The session as one `Cookie` header. */
export function cookieHeader(cookies) {
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

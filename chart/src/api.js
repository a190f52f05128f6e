// The chart's GraphQL client: the user's token and purpose on every request, and each refusal
// turned into a message an investigator can act on.

/** An answer the chart cannot draw; `kind` says which (unauthenticated, rate-limited, too-large ...). */
export class ApiError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// The analyses refuse a subgraph over their limit as BAD_USER_INPUT naming the limit
// ("... has more than 5,000 nodes"); that is the one refusal the chart explains differently.
const TOO_LARGE = /more than [\d,]+ (nodes|edges)/;

function explained(error) {
  const hint = error.extensions && error.extensions.hint ? ` (${error.extensions.hint})` : "";
  return `${error.message}${hint}`;
}

/**
 * Runs one GraphQL operation as the user; resolves to its data or throws an ApiError.
 * The purpose goes in the body's extensions (a header could not carry every character of it).
 */
export async function graphql(credentials, query, variables) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json",
        Authorization: `Bearer ${credentials.token}`,
      },
      body: JSON.stringify({ query, variables, extensions: { purpose: credentials.purpose } }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError("unreachable", "The API cannot be reached: check the connection and try again.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
  if (response.status === 401) {
    throw new ApiError(
      "unauthenticated",
      "Your token was refused (401): it is missing, expired or not valid for this service. Enter a new token.",
    );
  }
  if (response.status === 429) {
    const retry = response.headers.get("Retry-After");
    throw new ApiError(
      "rate-limited",
      `Too many requests (429): your query budget is spent for now. Try again in ${retry || "a few"} seconds.`,
    );
  }
  if (first && TOO_LARGE.test(first.message)) {
    throw new ApiError(
      "too-large",
      `The network is too large to draw: ${explained(first)}. Choose fewer hops or a narrower time window.`,
    );
  }
  if (first) {
    const code = (first.extensions && first.extensions.code) || `HTTP ${response.status}`;
    throw new ApiError(code, `${code}: ${explained(first)}`);
  }
  if (!response.ok || !body || !body.data) {
    throw new ApiError("http", `The API answered ${response.status} without data.`);
  }
  return body.data;
}

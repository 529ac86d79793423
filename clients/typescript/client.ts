// A small typed client for octane-proxy. The types come from `octane-api.d.ts`, which
// `cargo xtask regen` generates from the same protos as the proxy's routes.

import type { Services } from "./octane-api";

export type * from "./octane-api";

/** A service's short name, as in `/ApiItem/name`. */
export type ServiceName = keyof Services;
/** A method of service `S`. */
export type MethodName<S extends ServiceName> = keyof Services[S] & string;
type Route<S extends ServiceName, M extends MethodName<S>> = Services[S][M];
/** The request body of `S/M`. */
export type RequestOf<S extends ServiceName, M extends MethodName<S>> =
  Route<S, M> extends { request: infer R } ? R : never;
/** The `data` of a successful answer of `S/M`. */
export type ResponseOf<S extends ServiceName, M extends MethodName<S>> =
  Route<S, M> extends { response: infer R } ? R : never;

/** Where the proxy is and how to talk to it. */
export interface ClientOptions {
  /** Default: the page's origin. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>` (and `?token=` on streams). */
  token?: string;
  /** The call's deadline, sent as `X-Timeout-Ms`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A failed call: the proxy's error envelope and HTTP status. */
export class OctaneError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "OctaneError";
  }
}

/** Calls `POST /{service}/{method}` and answers the response message. */
export async function call<S extends ServiceName, M extends MethodName<S>>(
  service: S,
  method: M,
  request: RequestOf<S, M>,
  options: ClientOptions = {},
): Promise<ResponseOf<S, M>> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  if (options.timeoutMs !== undefined) headers["X-Timeout-Ms"] = String(options.timeoutMs);
  const response = await fetch(`${options.baseUrl ?? ""}/${service}/${method}`, {
    method: "POST",
    headers,
    body: JSON.stringify(request),
    signal: options.signal,
  });
  const body = await response.json();
  if (!response.ok || body.success !== true) {
    throw new OctaneError(body.error ?? response.statusText, response.status, body.code ?? "", body.field);
  }
  return body.data as ResponseOf<S, M>;
}

/** One image of a `newImage` event of `/render/stream`. Enum values are numbers here. */
export interface RenderImage {
  index: number;
  /** ImageType: 0 LDR_RGBA, 1 LDR_MONO, 2 HDR_RGBA, 3 HDR_MONO, ... */
  type: number;
  colorSpace: number;
  isLinear: boolean;
  size: { x: number; y: number };
  /** Row stride in pixels. */
  pitch: number;
  renderPassId: number;
  tonemappedSamplesPerPixel: number;
  calculatedSamplesPerPixel: number;
  samplesPerSecond: number;
  renderTime: number;
  changeLevel: { level: number };
  hasPendingUpdates: boolean;
  hasAlpha: boolean;
  buffer: { data: string; size: number; encoding: "base64" };
}

/** The events of `GET /render/stream`. */
export type RenderEvent =
  | { type: "connected"; client_id: string; timestamp: number; status: unknown }
  | {
      type: "newImage";
      callback_id: number;
      user_data: number;
      timestamp: number;
      render_images: { data: RenderImage[] };
    }
  | { type: "renderFailure"; timestamp: number; [key: string]: unknown }
  | { type: "newStatistics"; timestamp: number; statistics: unknown; [key: string]: unknown }
  | { type: "projectManagerChanged"; timestamp: number; [key: string]: unknown }
  | { type: "status"; connected: boolean; timestamp: number; status: unknown }
  | { type: "ping"; timestamp: number };

/**
 * Registers for render callbacks and listens to `/render/stream`.
 * Answers a function that closes the stream.
 */
export function renderStream(
  onEvent: (event: RenderEvent) => void,
  options: Omit<ClientOptions, "timeoutMs" | "signal"> & { onError?: (error: Event) => void } = {},
): () => void {
  const base = options.baseUrl ?? "";
  const query = options.token ? `?token=${encodeURIComponent(options.token)}` : "";
  const headers: Record<string, string> = {};
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  void fetch(`${base}/render/register-callback`, { method: "POST", headers });
  const source = new EventSource(`${base}/render/stream${query}`);
  source.onmessage = (message) => onEvent(JSON.parse(message.data) as RenderEvent);
  if (options.onError) source.onerror = options.onError;
  return () => source.close();
}

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

/** A JPEG frame of `/render/ws`: the header's fields, and the JPEG file. */
export interface JpegFrame {
  type: "frame";
  /** Increases by one per frame Octane sent; a gap is frames skipped (latest frame wins). */
  sequence: number;
  width: number;
  height: number;
  tonemappedSamplesPerPixel: number;
  samplesPerSecond: number;
  /** Seconds. */
  renderTime: number;
  /** The JPEG, ready for `createImageBitmap` or `URL.createObjectURL`. */
  jpeg: Blob;
}

/** The events of `GET /render/stream`. */
export type RenderEvent =
  | JpegFrame
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

/** How `renderStream` receives frames. */
export interface RenderStreamOptions extends Omit<ClientOptions, "timeoutMs" | "signal"> {
  /**
   * `"jpeg"` (default): JPEG frames over the binary WebSocket `/render/ws`, delivered as
   * `JpegFrame` events, compressed for any network. `"exact"`: every event of the SSE stream
   * `/render/stream`, with the exact pixels Octane sent (about 8 MB a 1080p frame).
   */
  format?: "jpeg" | "exact";
  /** JPEG quality, 1 to 100 (the proxy's default when unset). */
  quality?: number;
  /** Downscale to at most this many pixels wide / high, aspect kept. */
  maxWidth?: number;
  maxHeight?: number;
  /** At most this many frames a second; the newest frame each time. */
  fps?: number;
  onError?: (error: Event) => void;
}

/** Stops a render stream; `rates()` measures what arrived over the last two seconds. */
export interface RenderStreamHandle {
  (): void;
  rates(): { framesPerSecond: number; megabitsPerSecond: number };
}

/** Reads a `/render/ws` message: the header (little-endian, its length at byte 4), then the JPEG. */
function jpegFrame(data: ArrayBuffer): JpegFrame {
  const header = new DataView(data);
  const headerLength = header.getUint16(4, true);
  return {
    type: "frame",
    sequence: Number(header.getBigUint64(8, true)),
    width: header.getUint32(16, true),
    height: header.getUint32(20, true),
    tonemappedSamplesPerPixel: header.getFloat32(24, true),
    samplesPerSecond: header.getFloat32(28, true),
    renderTime: header.getFloat32(32, true),
    jpeg: new Blob([new Uint8Array(data, headerLength)], { type: "image/jpeg" }),
  };
}

/**
 * Registers for render callbacks and receives the live render: JPEG frames over `/render/ws`
 * by default, or every event of `/render/stream` with `format: "exact"`.
 * Answers a function that closes the stream, with `rates()` for the frame and bit rates.
 */
export function renderStream(
  onEvent: (event: RenderEvent) => void,
  options: RenderStreamOptions = {},
): RenderStreamHandle {
  const base = options.baseUrl ?? "";
  const headers: Record<string, string> = {};
  if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
  void fetch(`${base}/render/register-callback`, { method: "POST", headers });
  const received: [number, number][] = [];
  const count = (bytes: number) => received.push([performance.now(), bytes]);
  const rates = () => {
    const now = performance.now();
    while (received.length && now - received[0][0] > 2000) received.shift();
    const bytes = received.reduce((sum, [, n]) => sum + n, 0);
    return { framesPerSecond: received.length / 2, megabitsPerSecond: (bytes * 8) / 2 / 1e6 };
  };
  const params = new URLSearchParams();
  if (options.token) params.set("token", options.token);
  if (options.format === "exact") {
    const query = params.size ? `?${params}` : "";
    const source = new EventSource(`${base}/render/stream${query}`);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data) as RenderEvent;
      if (event.type === "newImage") count(message.data.length);
      onEvent(event);
    };
    if (options.onError) source.onerror = options.onError;
    return Object.assign(() => source.close(), { rates });
  }
  if (options.quality !== undefined) params.set("quality", String(options.quality));
  if (options.maxWidth !== undefined) params.set("max_width", String(options.maxWidth));
  if (options.maxHeight !== undefined) params.set("max_height", String(options.maxHeight));
  if (options.fps !== undefined) params.set("fps", String(options.fps));
  const origin = new URL(base || location.origin, location.href);
  origin.protocol = origin.protocol === "https:" ? "wss:" : "ws:";
  const query = params.size ? `?${params}` : "";
  const socket = new WebSocket(`${origin.origin}${origin.pathname.replace(/\/$/, "")}/render/ws${query}`);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (message) => {
    if (!(message.data instanceof ArrayBuffer)) return;
    count(message.data.byteLength);
    onEvent(jpegFrame(message.data));
  };
  if (options.onError) socket.onerror = options.onError;
  return Object.assign(() => socket.close(), { rates });
}

// Reads the camera through octane-proxy and moves it, with the generated TypeScript client.
// Build: `npx --prefix ../../clients/typescript tsc -p .` (writes dist/), then open index.html
// from a static server on this machine (http://localhost:PORT or http://127.0.0.1:PORT, which the
// proxy allows by default); from any other origin, start the proxy with --cors-origin ORIGIN.

import { call, OctaneError } from "../../clients/typescript/client.js";
import type { livelinkapi } from "../../clients/typescript/client.js";

const proxy = (document.getElementById("proxy") as HTMLInputElement);
const output = document.getElementById("camera") as HTMLPreElement;

function show(camera: livelinkapi.CameraState): void {
  const p = camera.position ?? {};
  const t = camera.target ?? {};
  output.textContent =
    `position ${p.x ?? 0}, ${p.y ?? 0}, ${p.z ?? 0}\n` +
    `target   ${t.x ?? 0}, ${t.y ?? 0}, ${t.z ?? 0}\n` +
    `fov      ${camera.fov ?? 0}`;
}

async function read(): Promise<livelinkapi.CameraState> {
  const camera = await call("LiveLink", "GetCamera", {}, { baseUrl: proxy.value });
  show(camera);
  return camera;
}

async function move(dx: number): Promise<void> {
  const camera = await read();
  const position = camera.position ?? {};
  await call(
    "LiveLink",
    "SetCamera",
    { position: { x: (position.x ?? 0) + dx, y: position.y ?? 0, z: position.z ?? 0 } },
    { baseUrl: proxy.value },
  );
  await read();
}

function guard(action: () => Promise<unknown>): () => void {
  return () => {
    action().catch((error: unknown) => {
      output.textContent = error instanceof OctaneError ? `${error.status} ${error.code}: ${error.message}` : String(error);
    });
  };
}

document.getElementById("read")!.addEventListener("click", guard(read));
document.getElementById("left")!.addEventListener("click", guard(() => move(-1)));
document.getElementById("right")!.addEventListener("click", guard(() => move(1)));

// Type-checked in CI (`tsc --noEmit`): reads the camera, moves it, reads a node's name.

import { call, OctaneError, renderStream } from "./client";
import type { livelinkapi, octaneapi } from "./client";

export async function orbit(baseUrl: string): Promise<void> {
  const camera: livelinkapi.CameraState = await call("LiveLink", "GetCamera", {}, { baseUrl });
  const position = camera.position ?? { x: 0, y: 0, z: 0 };
  await call("LiveLink", "SetCamera", { position: { ...position, x: (position.x ?? 0) + 1 } }, { baseUrl });

  const root = await call("ApiProjectManager", "rootNodeGraph", {}, { baseUrl });
  const graph: octaneapi.ObjectRef | undefined = root.result;
  if (graph?.handle !== undefined) {
    const name = await call("ApiItem", "name", { objectPtr: { handle: graph.handle, type: "ApiRootNodeGraph" } }, { baseUrl });
    console.log(`root graph: ${name.result ?? ""}`);
  }
  try {
    await call("ApiItem", "getValueByAttrID", { objectPtr: { handle: "1" }, attribute_id: "A_VALUE" }, { baseUrl, timeoutMs: 500 });
  } catch (error) {
    if (error instanceof OctaneError) console.log(error.status, error.code, error.field);
  }
  // JPEG frames over the WebSocket (the default), at most 10 a second, at most 1280 wide.
  const stop = renderStream((event) => {
    if (event.type === "frame") console.log(event.sequence, event.width, event.height, event.jpeg.size);
  }, { baseUrl, quality: 75, maxWidth: 1280, fps: 10 });
  const { framesPerSecond, megabitsPerSecond } = stop.rates();
  console.log(`${framesPerSecond} frames/s, ${megabitsPerSecond} Mbit/s`);
  stop();
  // The exact pixels, and every event, over Server-Sent Events.
  const exact = renderStream((event) => {
    if (event.type === "newImage") console.log(event.render_images.data[0]?.size);
  }, { baseUrl, format: "exact" });
  exact();
}

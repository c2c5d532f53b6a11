// Rows the UI tests build by hand: a row of `engine` with `id`, `name` and `state` and nothing
// else, the rest set on top (the TypeScript twin of the core's `Container::new`).
import type { Container } from "../ipc";

export function container(engine: string, id: string, name: string, state: string, over: Partial<Container> = {}): Container {
  return {
    id,
    name,
    image: "",
    image_id: "",
    volumes: [],
    networks: [],
    state,
    status: "",
    engine,
    created: 0,
    ports: [],
    pod: null,
    project: null,
    pending: false,
    kube: null,
    ...over,
  };
}

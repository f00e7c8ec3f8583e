/**
 * Pinning services that can be made again in the anchoring worker's thread: an adapter's factory marks
 * the service it returns with its name and resolved options.
 */
import type { PinningService } from "./adapter.js";
import type { KuboServiceOptions, PinataServiceOptions } from "./options.js";

/**
 * How a service made by {@link pinataService} or {@link kuboService} can be made again in another
 * thread: the factory's name and its resolved options (secrets included, so the property is hidden
 * from enumeration, JSON and inspection; it only ever crosses to a worker of this process).
 */
export type PortableServiceSpec =
  | { factory: "pinata"; options: PinataServiceOptions }
  | { factory: "kubo"; options: KuboServiceOptions };

const PORTABLE = Symbol("ancora.pinning.portable");

/** Marks `service` as rebuildable from `spec` (by the adapters' factories). */
export function markPortable<S extends PinningService>(service: S, spec: PortableServiceSpec): S {
  Object.defineProperty(service, PORTABLE, { value: spec, enumerable: false });
  return service;
}

/** The spec of a service made by one of the adapters' factories, or undefined for any other service. */
export function portableSpec(service: PinningService): PortableServiceSpec | undefined {
  return (service as { [PORTABLE]?: PortableServiceSpec })[PORTABLE];
}

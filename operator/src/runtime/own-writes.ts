import { keyOf, type KubeObject } from './informer.js';

/**
 * The resourceVersion our own last write (a finalizer, a status) produced, per key: the
 * watch event that carries exactly that version is our echo, and reconciling it would
 * decide nothing new.
 */
export class OwnWrites {
  private readonly versions = new Map<string, string>();

  /** Remembers the version of `object` as our write returned it; returns the object. */
  remember<T extends KubeObject>(key: string, object: T): T {
    const version = object.metadata.resourceVersion;
    if (version) this.versions.set(key, version);
    return object;
  }

  isEcho(object: KubeObject): boolean {
    const version = object.metadata.resourceVersion;
    return version !== undefined && this.versions.get(keyOf(object)) === version;
  }

  forget(key: string): void {
    this.versions.delete(key);
  }
}

// FileStorageAdapter is deliberately absent: it needs node:fs and is exported
// only from the Node entry (src/node.ts), so browser bundles never pull it in.
export type { StorageAdapter } from './storage-adapter';
export { MemoryStorageAdapter } from './memory-storage-adapter';
export { BrowserStorageAdapter } from './browser-storage-adapter';
export type { BrowserStorageAdapterOptions } from './browser-storage-adapter';

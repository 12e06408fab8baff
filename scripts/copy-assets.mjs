// Static files the compiled CLI serves (the admin status page) next to the compiled modules.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/admin/status/', import.meta.url), new URL('../dist/src/admin/status/', import.meta.url), { recursive: true });

#!/usr/bin/env node
// simple-gitops, the package's bin: `npx simple-gitops ...` in a checkout after `npm ci`. The CLI is TypeScript run
// from source, as `npm run controller` runs the controller: tsx (a dev dependency, there after `npm ci`) is
// registered as a module loader first, then cli/main.ts is imported. Node resolves this file's symlinks (npm links
// bins), so both imports resolve from the checkout.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");

// The one place that loads @peculiar/x509: it needs the Reflect metadata API present before it is
// evaluated (the reflect-metadata polyfill, which tsyringe needs) and a WebCrypto provider set before use. ES modules evaluate
// their imports in order, so every file that uses the package imports this module first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// (The cast bridges @types/node's webcrypto types and the DOM types the package is declared with.)
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

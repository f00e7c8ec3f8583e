/**
 * Where the built page is (Node only: `ancora serve` serves it at /verify). `vite build` writes it to
 * the package's `site/` folder; the Makefile builds it before `make test` and `make demo`.
 */
import { fileURLToPath } from "node:url";

/** The built page's folder: `index.html` and `assets/`. Same path from `src/` and from `dist/`. */
export const VERIFY_PAGE_DIR = fileURLToPath(new URL("../site/", import.meta.url));

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build:widget` puts the widget: `dist/web/widget.js`, reached from this
 * file both when running from source (`src/web-messaging/`) and from the build
 * (`dist/src/web-messaging/`).
 */
export const widgetScriptCandidates: readonly string[] = [
  fileURLToPath(new URL('../../dist/web/widget.js', import.meta.url)),
  fileURLToPath(new URL('../../web/widget.js', import.meta.url)),
];

/** The built widget script, read once; undefined when it was not built. */
export function widgetScriptLoader(paths: readonly string[] = widgetScriptCandidates): () => Promise<Buffer | undefined> {
  let loaded: Promise<Buffer | undefined> | undefined;
  return () => {
    loaded ??= (async () => {
      for (const path of paths) {
        try {
          return await readFile(path);
        } catch {
          // try the next place
        }
      }
      loaded = undefined; // built later: look again next time
      return undefined;
    })();
    return loaded;
  };
}

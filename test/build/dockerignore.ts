/**
 * `.dockerignore` as the build test needs it: whether a path of the build context is
 * sent to the engine. Patterns are matched in order against the path and each of its
 * parent folders, the last match wins, `!` re-includes (as moby's patternmatcher does).
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const glob = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = glob
        .split(/(\*\*\/|\*|\?)/)
        .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return { include, pattern: new RegExp(`^${source}$`) };
    });
  /** True when the path is left out of the build context. */
  return (path) => {
    const parts = path.replace(/^\.\/|\/+$/g, '').split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) if (candidates.some((c) => rule.pattern.test(c))) ignored = !rule.include;
    return ignored;
  };
}

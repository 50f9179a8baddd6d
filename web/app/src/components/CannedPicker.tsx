import { useEffect, useRef, useState } from 'preact/hooks';
import type { CannedResponseView } from '../../../../src/gateway/desktop-views.ts';
import type { Api } from '../api.ts';
import { t } from '../i18n/index.ts';
import { renderTemplate } from '../template.ts';
import type { TemplateScope } from '../template.ts';

/**
 * Searches the response library (this queue's responses and the tenant-wide ones) and
 * inserts the chosen one with its variables filled in. Escape closes it.
 */
export function CannedPicker({ api, queue, scope, onPick, onClose }: { api: Api; queue: string | undefined; scope: TemplateScope; onPick: (text: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [responses, setResponses] = useState<CannedResponseView[]>([]);
  const [error, setError] = useState<string>();
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => search.current?.focus(), []);
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      api.cannedResponses({ ...(queue && { queue }), q: query }).then(
        (r) => current && setResponses(r.responses),
        (err: Error) => current && setError(err.message),
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, queue, query]);

  const pick = async (response: CannedResponseView) => {
    try {
      onPick(await renderTemplate(response.body, scope));
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <div class="canned" onKeyDown={(e) => e.key === 'Escape' && (e.preventDefault(), onClose())}>
      <label>
        {t('canned.search')}
        <input ref={search} type="search" value={query} onInput={(e) => setQuery((e.currentTarget).value)} />
      </label>
      {error && <p class="error">{error}</p>}
      {responses.length === 0 ? (
        <p class="empty">{t('canned.none')}</p>
      ) : (
        <ul class="canned-list">
          {responses.map((r) => (
            <li key={r.id}>
              <button type="button" onClick={() => void pick(r)}>
                <span class="shortcut">/{r.shortcut}</span> <strong>{r.title}</strong> <span class="preview">{r.body}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={onClose}>
        {t('canned.close')}
      </button>
    </div>
  );
}

import { field } from '../form-field.ts';
import { useState } from 'preact/hooks';
import { localLogin } from '../api.ts';
import { t } from '../i18n/index.ts';
import { sessionFromToken } from '../session.ts';
import type { Session } from '../session.ts';

/**
 * Sign-in: the local form of `parley up` (the gateway signs a token; refused by any other
 * gateway), or a token from the configured issuer pasted as is.
 */
export function Login({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submitLocal = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const { token } = await localLogin(field(form, 'tenant'), field(form, 'sub'), field(form, 'role'));
      onSignedIn(sessionFromToken(token));
    } catch (err) {
      setError(t('login.failed', { reason: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  const submitToken = (event: Event) => {
    event.preventDefault();
    const token = field(new FormData(event.currentTarget as HTMLFormElement), 'token').trim();
    try {
      onSignedIn(sessionFromToken(token));
    } catch (err) {
      setError(t('login.failed', { reason: (err as Error).message }));
    }
  };

  return (
    <div class="login">
      <h2>{t('login.heading')}</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form onSubmit={(e) => void submitLocal(e)} aria-labelledby="login-local">
        <h3 id="login-local">{t('login.local')}</h3>
        <p class="help">{t('login.localHelp')}</p>
        <label>
          {t('login.tenant')}
          <input name="tenant" required autoComplete="organization" defaultValue="demo" />
        </label>
        <label>
          {t('login.user')}
          <input name="sub" required autoComplete="username" pattern="[A-Za-z0-9_\-]{1,64}" />
        </label>
        <label>
          {t('login.role')}
          <select name="role" defaultValue="agent">
            <option value="agent">{t('role.agent')}</option>
            <option value="supervisor">{t('role.supervisor')}</option>
            <option value="admin">{t('role.admin')}</option>
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
      <form onSubmit={submitToken} aria-labelledby="login-token">
        <h3 id="login-token">{t('login.token')}</h3>
        <p class="help">{t('login.tokenHelp')}</p>
        <label>
          {t('login.tokenField')}
          <textarea name="token" required rows={3} spellcheck={false} />
        </label>
        <button type="submit">{t('login.useToken')}</button>
      </form>
    </div>
  );
}

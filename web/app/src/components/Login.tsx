import { field } from '../form-field.ts';
import { useEffect, useState } from 'preact/hooks';
import type { SignInView } from '../../../../src/gateway/desktop-views.ts';
import { Api, localLogin, signInSettings } from '../api.ts';
import { t } from '../i18n/index.ts';
import { beginSignIn, completeSignIn, isSignInCallback } from '../oidc-sign-in.ts';
import type { IssuerSettings } from '../oidc-sign-in.ts';
import { sessionFromIssuer, sessionFromToken } from '../session.ts';
import type { Session } from '../session.ts';

/**
 * Sign-in: through the gateway's OpenID Connect issuer when it has one (and back from it,
 * when this page load is the issuer's redirect), the local form of `parley up` (the gateway
 * signs a token; refused by any other gateway), or a token from the issuer pasted as is.
 */
export function Login({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [settings, setSettings] = useState<SignInView>();
  const fail = (err: unknown) => setError(t('login.failed', { reason: (err as Error).message }));

  useEffect(() => {
    const returning = isSignInCallback();
    if (returning) setBusy(true);
    signInSettings()
      .then(async (found) => {
        setSettings(found);
        if (returning && found.oidc) onSignedIn(await issuerSession(found.oidc));
      })
      .catch(fail)
      .finally(() => returning && setBusy(false));
  }, []);

  const submitIssuer = () => {
    if (!settings?.oidc) return;
    setBusy(true);
    // Success leaves the page for the issuer's; only a failure comes back here.
    beginSignIn(settings.oidc).catch((err: unknown) => {
      fail(err);
      setBusy(false);
    });
  };
  const submitLocal = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const { token } = await localLogin(field(form, 'tenant'), field(form, 'sub'), field(form, 'role'));
      onSignedIn(sessionFromToken(token));
    } catch (err) {
      fail(err);
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
      fail(err);
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
      {busy && <p role="status">{t('login.working')}</p>}
      {settings?.oidc && (
        <section aria-labelledby="login-issuer">
          <h3 id="login-issuer">{t('login.issuer')}</h3>
          <p class="help">{t('login.issuerHelp', { issuer: new URL(settings.oidc.issuer).host })}</p>
          <button type="button" class="primary" disabled={busy} onClick={submitIssuer}>
            {t('login.issuerSubmit')}
          </button>
        </section>
      )}
      {/* Until the gateway has answered, the form is offered: an older gateway does not say. */}
      {settings?.localLogin !== false && (
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
      )}
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

/** The issuer's redirect back: tokens for the code, then who the gateway says they are. */
async function issuerSession(settings: IssuerSettings): Promise<Session> {
  const tokens = await completeSignIn(settings);
  return sessionFromIssuer(settings, tokens, await new Api(tokens.accessToken).me());
}

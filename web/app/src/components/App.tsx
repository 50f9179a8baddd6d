import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api } from '../api.ts';
import { DeskStore } from '../desk-store.ts';
import { Languages, language, onLanguageChange, setLanguage, t } from '../i18n/index.ts';
import type { Language } from '../i18n/index.ts';
import { refreshTokens, signOutAtIssuer } from '../oidc-sign-in.ts';
import { isStaff, renewedSession, saveSession, savedSession } from '../session.ts';
import type { Session } from '../session.ts';
import { Desktop } from './Desktop.tsx';
import { Interactions } from './Interactions.tsx';
import { Library } from './Library.tsx';
import { LiveViews } from './LiveViews.tsx';
import { Login } from './Login.tsx';
import { NewMessage } from './NewMessage.tsx';
import { Quality } from './Quality.tsx';
import { Reports } from './Reports.tsx';

type Screen = 'desktop' | 'library' | 'supervisor' | 'interactions' | 'reports' | 'quality';

/** The app's shell: sign-in, then the header, the sections and the current screen. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(savedSession);
  const [expired, setExpired] = useState(false);
  const [, setLanguageVersion] = useState(0);
  useEffect(() => onLanguageChange(() => setLanguageVersion((v) => v + 1)), []);

  const signIn = (next: Session | undefined) => {
    saveSession(next);
    setSession(next);
  };
  // A renewed token replaces the old one under the same client: the desktop's stores and
  // WebSocket carry on (a reconnect reads the current token).
  const token = useRef(session?.token);
  token.current = session?.token;
  const signedIn = session && `${session.tenant}/${session.sub}/${session.role}`;
  const api = useMemo(
    () =>
      signedIn &&
      new Api(
        () => token.current ?? '',
        () => {
          setExpired(true);
          signIn(undefined);
        },
      ),
    [signedIn],
  );
  useEffect(() => (session ? renewBeforeExpiry(session, signIn) : undefined), [session]);
  const signOut = () => {
    signIn(undefined);
    // The issuer's sign-in ends too, or the next "Sign in" would be silent.
    if (session?.oidc) signOutAtIssuer(session.oidc.settings, session.oidc.tokens).catch((err: unknown) => console.warn('sign-out at the issuer failed', err));
  };

  if (!session || !api) {
    return (
      <>
        <Header />
        <main id="main" tabIndex={-1}>
          {expired && <p role="alert">{t('error.expired')}</p>}
          <Login onSignedIn={(s) => (setExpired(false), signIn(s))} />
        </main>
      </>
    );
  }
  return <SignedIn session={session} api={api} onSignOut={signOut} />;
}

/** How long after a failed renewal the next try comes, while the token still works. */
const RENEW_RETRY_MS = 10_000;

/**
 * Renews an issuer's access token with its refresh token before it expires (half-way
 * through its life, or a minute before the end). Returns the cancel function.
 */
function renewBeforeExpiry(session: Session, onRenewed: (next: Session) => void): (() => void) | undefined {
  const oidc = session.oidc;
  if (!oidc?.tokens.refreshToken) return undefined;
  let timer: ReturnType<typeof setTimeout>;
  let stopped = false;
  const renew = () => {
    refreshTokens(oidc.settings, oidc.tokens).then(
      (tokens) => stopped || onRenewed(renewedSession({ ...session, oidc }, tokens)),
      (err: unknown) => {
        // The current token still works until it expires; past it, the gateway's 401 ends the session.
        console.warn('token renewal failed', err);
        if (!stopped && Date.now() < oidc.tokens.expiresAt) timer = setTimeout(renew, RENEW_RETRY_MS);
      },
    );
  };
  timer = setTimeout(renew, Math.max(0, oidc.tokens.renewAt - Date.now()));
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function SignedIn({ session, api, onSignOut }: { session: Session; api: Api; onSignOut: () => void }) {
  const [screen, setScreen] = useState<Screen>('desktop');
  const desk = useMemo(() => new DeskStore(api, session.sub), [api, session.sub]);
  useEffect(() => {
    desk.start();
    return () => desk.stop();
  }, [desk]);
  const screens: Screen[] = isStaff(session) ? ['desktop', 'library', 'supervisor', 'interactions', 'reports', 'quality'] : ['desktop', 'library', 'interactions'];
  const go = (next: Screen) => {
    setScreen(next);
    // Focus moves to the new screen's content, as a page load would.
    requestAnimationFrame(() => document.getElementById('main')?.focus());
  };

  return (
    <>
      <Header session={session} onSignOut={onSignOut}>
        <nav aria-label={t('app.nav')}>
          <ul class="tabs">
            {screens.map((s) => (
              <li key={s}>
                <button type="button" aria-current={screen === s ? 'page' : undefined} onClick={() => go(s)}>
                  {t(`app.nav.${s}`)}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      </Header>
      <main id="main" tabIndex={-1} class={`screen-${screen}`}>
        {screen === 'desktop' && session.role !== 'admin' && <NewMessage api={api} desk={desk} />}
        {screen === 'desktop' && <Desktop desk={desk} session={session} />}
        {screen === 'library' && <Library api={api} session={session} />}
        {screen === 'supervisor' && <LiveViews api={api} />}
        {screen === 'interactions' && <Interactions api={api} />}
        {screen === 'reports' && <Reports api={api} />}
        {screen === 'quality' && <Quality api={api} />}
      </main>
    </>
  );
}

function Header({ session, onSignOut, children }: { session?: Session; onSignOut?: () => void; children?: preact.ComponentChildren }) {
  return (
    <header class="app-header">
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <h1>{t('app.title')}</h1>
      {children}
      <div class="header-tools">
        <label>
          {t('app.language')}{' '}
          <select value={language()} onChange={(e) => setLanguage((e.currentTarget).value as Language)}>
            {Languages.map((l) => (
              <option key={l} value={l}>
                {l === 'en' ? 'English' : 'Français'}
              </option>
            ))}
          </select>
        </label>
        {session && (
          <>
            <span class="who">{t('app.signedInAs', { sub: session.sub, role: t(`role.${session.role}`), tenant: session.tenant })}</span>
            <button type="button" onClick={onSignOut}>
              {t('app.signOut')}
            </button>
          </>
        )}
      </div>
    </header>
  );
}

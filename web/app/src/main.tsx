import { render } from 'preact';
import { App } from './components/App.tsx';
import { language } from './i18n/index.ts';
import './styles.css';

document.documentElement.lang = language();
const root = document.getElementById('root');
if (root) render(<App />, root);

/** The widget's CSS, inside its shadow root so the host page's styles and ours never mix. Colours meet 4.5:1 contrast. */
export const styles = `
:host { all: initial; }
.root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; font: 15px/1.4 system-ui, sans-serif; color: #1a1a1a; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
button { font: inherit; cursor: pointer; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.launcher { width: 56px; height: 56px; border-radius: 50%; border: 0; background: #0b5cad; color: #fff; display: flex; align-items: center; justify-content: center; box-shadow: 0 2px 8px rgba(0,0,0,.3); float: right; }
.launcher { position: relative; }
.badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 5px; border-radius: 10px; background: #b00020; color: #fff; font-size: 12px; line-height: 20px; box-sizing: border-box; }
.panel { display: flex; flex-direction: column; width: min(360px, calc(100vw - 40px)); height: min(520px, calc(100vh - 110px)); margin-bottom: 12px; background: #fff; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.25); overflow: hidden; }
header { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px; background: #0b5cad; color: #fff; }
h2 { margin: 0; font-size: 16px; }
.close { background: none; border: 0; color: #fff; font-size: 22px; }
.notice { margin: 0; padding: 8px 14px; background: #fff4ce; color: #3d3000; font-size: 14px; }
.messages { flex: 1; overflow-y: auto; }
.messages ol { list-style: none; margin: 0; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
.message { max-width: 80%; padding: 8px 12px; border-radius: 12px; word-wrap: break-word; }
.message p { margin: 0; }
.message.own { align-self: flex-end; background: #0b5cad; color: #fff; }
.message.own a { color: #fff; }
.message.agent { align-self: flex-start; background: #eef1f5; color: #1a1a1a; }
.message a { color: #0b4f94; }
.message img { max-width: 100%; border-radius: 6px; display: block; }
.message small { display: block; font-size: 12px; opacity: .9; }
.end { height: 0; padding: 0; }
.card { display: flex; flex-direction: column; gap: 4px; }
form.card fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 6px; }
form.card label { display: flex; flex-direction: column; gap: 2px; }
form.card input, form.card select { padding: 6px; border: 1px solid #6b7785; border-radius: 6px; font: inherit; }
a.card { color: inherit; text-decoration: none; border: 1px solid #c4ccd6; border-radius: 8px; padding: 6px; }
.carousel { list-style: none; padding: 0; margin: 0; display: flex; gap: 8px; overflow-x: auto; }
.actions, .quick-replies { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.quick-replies { padding: 0 12px 8px; }
.actions button, .quick-replies button { border: 1px solid #0b5cad; background: #fff; color: #0b4f94; border-radius: 16px; padding: 4px 12px; }
.typing { margin: 0; padding: 0 14px; min-height: 20px; font-size: 13px; color: #4a4a4a; }
.composer { display: flex; flex-wrap: wrap; gap: 6px; padding: 10px; border-top: 1px solid #d0d5dc; }
.composer input[type=text] { flex: 1; min-width: 0; padding: 8px; border: 1px solid #6b7785; border-radius: 8px; font: inherit; }
.composer button { border: 0; border-radius: 8px; background: #0b5cad; color: #fff; padding: 8px 12px; }
.attach { display: flex; align-items: center; padding: 0 4px; cursor: pointer; color: #0b4f94; }
.attach:focus-within { outline: 3px solid #ffbf47; }
.file { position: absolute; width: 1px; height: 1px; opacity: 0; }
.chips { width: 100%; list-style: none; margin: 0; padding: 0; display: flex; gap: 4px; font-size: 13px; }
.chips li { background: #eef1f5; border-radius: 10px; padding: 2px 8px; }
`;

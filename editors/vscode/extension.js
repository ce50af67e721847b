// A generic language-client wrapper: VS Code starts `kerascheck lsp` (the `kerascheck.command`
// setting) for Python documents and shows what it publishes. All behaviour is in the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

async function activate() {
  const [command, ...args] = vscode.workspace.getConfiguration("kerascheck").get("command");
  client = new LanguageClient("kerascheck", "kerascheck", { command, args }, { documentSelector: [{ language: "python" }] });
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };

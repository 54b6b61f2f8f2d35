// The voice widget's VAPI SDK: @vapi-ai/web (npm) bundled for a plain <script>, behind the one function the widget
// calls, run({apiKey}) -> a Vapi instance (the interface of VAPI's html-script-tag, without its button).
import VapiModule from "@vapi-ai/web";

const Vapi = VapiModule.default || VapiModule;
const VERSION = "2.7.1";

window.vapiSDK = {
  version: VERSION,
  run(options) {
    // avoidEval: Daily loads its call machine with a <script> from c.daily.co instead of eval(), so a customer
    // site's Content-Security-Policy needs no 'unsafe-eval'.
    return new Vapi(options.apiKey, undefined, { avoidEval: true });
  },
};

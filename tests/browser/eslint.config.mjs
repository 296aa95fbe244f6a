// ESLint over the page's modules (npm run lint, from make check): every name used is
// defined or imported, every import and variable is used. The vendored files are left as
// they came.
import globals from "globals";

export default [
  { ignores: ["**/emoji-data.js", "**/qrcode.js"] },
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: { ...globals.browser } },
    rules: {
      "no-undef": "error",
      "no-unused-vars": ["error", { args: "none" }],
    },
  },
];

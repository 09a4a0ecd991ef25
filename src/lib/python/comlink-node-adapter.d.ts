// comlink ships the Node adapter's types beside its .mjs under another name.
declare module "comlink/dist/esm/node-adapter.mjs" {
  export { default } from "comlink/dist/esm/node-adapter";
}

export interface ManifestEntry {
  dataset: string;
  file: string;
  shared?: string;
  url: string;
  sha256: string;
  downloadSha256?: string;
  gzip?: boolean;
  format: "jsonl" | "json-array";
  records: number;
  license: string;
}
export function sha256(bytes: Uint8Array): string;
export function countRecords(bytes: Uint8Array, format: string): number;
export function checkAgainstManifest(entry: ManifestEntry, bytes: Uint8Array): string | null;

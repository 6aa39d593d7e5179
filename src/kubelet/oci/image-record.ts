// The image record the runtime layer consumes. Helper I owns src/kubelet/images/ (ImageStore);
// until that exists this is a local declaration of exactly the contract's shape — switch these
// imports to "../images/index.js" once it lands.

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export interface ImageRecord {
  /** "sha256:<config digest>", like docker's image ID. */
  id: string;
  /** Normalized names. */
  repoTags: string[];
  config: ImageConfig;
  /** Absolute dirs of the extracted layers, LOWEST FIRST, whiteouts in overlayfs form. */
  layers: string[];
  size: number;
}

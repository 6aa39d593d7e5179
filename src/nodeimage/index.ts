// The node image: recipe, mirror discovery, the executable that goes in, and the builder.

export { ensureNodeImage, hashNodeImage, type EnsureNodeImageOptions, type EnsureNodeImageResult } from "./build.js";
export { resolveMiniclusterExecutable, isSingleExecutable } from "./executable.js";
export { hostDebianMirror, type DebianMirror } from "./mirror.js";
export { NODE_IMAGE_REPO, NODE_BASE_REPO, LABEL_IMAGE, LABEL_RECIPE_HASH, nodeImageTag, baseImageTag, isValidImageRef } from "./recipe.js";

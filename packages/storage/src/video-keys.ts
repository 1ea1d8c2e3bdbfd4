// Where a video lives in the object store: the one definition of the layout that the origin
// (uploads, delivery, deletion) and the encoder (staging, renditions, the index) both write to.
//
//   videos/{id}/source                the upload as received (until its encode succeeds)
//   videos/{id}/upload-{uuid}         a PUT upload in progress (checked, then copied to source)
//   videos/{id}/{file}                renditions (v/…, a/…), text/…, thumbs/…: paths the index names
//   videos/{id}/index.json            the media index: written last, the commit point of an encode
//   videos/{id}/.staging/{attempt}/   an encode's outputs before promotion
export const videoKeys = {
  /** Everything of one video (deletePrefix). */
  prefix: (id: string) => `videos/${id}/`,
  source: (id: string) => `videos/${id}/source`,
  upload: (id: string, uploadId: string) => `videos/${id}/upload-${uploadId}`,
  index: (id: string) => `videos/${id}/index.json`,
  /** A file the index names (`v/240p.mp4`, `text/eng.vtt`, `thumbs/poster.jpg`). */
  file: (id: string, file: string) => `videos/${id}/${file}`,
  staging: (id: string) => `videos/${id}/.staging/`,
  stagingAttempt: (id: string, attempt: string) => `videos/${id}/.staging/${attempt}/`,
} as const;

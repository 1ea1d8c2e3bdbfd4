// Applies a query to an index: which tracks (height, bitrate, audio languages) and which fragments
// (clip by start/end, snapped to the video's fragment boundaries, the same instants applied to
// audio), segmented at the requested duration. Both builders render from this one selection.
import type { AudioTrack, MediaIndex, MediaTrack, TextTrack, VideoTrack } from '@vought/media';
import type { SegmentPlan } from './delivery-urls.ts';
import { ManifestError } from './manifest-error.ts';
import type { ManifestQuery } from './manifest-query.ts';
import { fragmentContaining, planSegments, type Segment, segmentBitrates, targetTicks } from './segment-planner.ts';

export interface SelectedTrack<T extends MediaTrack = MediaTrack> {
  track: T;
  segments: Segment[];
  /** How its segment URLs cut the track: the same plan replans every segment exactly. */
  plan: SegmentPlan;
  bandwidth: { peak: number; average: number };
}

export interface Presentation {
  video: SelectedTrack<VideoTrack>[];
  audio: SelectedTrack<AudioTrack>[];
  text: TextTrack[];
  /** Seconds from the clip's start to its end. */
  duration: number;
  /** Every served segment starts with a keyframe. */
  independent: boolean;
}

function clipRange(track: MediaTrack, startSec: number | undefined, endSec: number | undefined): [number, number] {
  const n = track.fragments.time.length;
  const first = startSec === undefined ? 0 : fragmentContaining(track, Math.round(startSec * track.timescale));
  let last = n - 1;
  if (endSec !== undefined) {
    const endTicks = Math.round(endSec * track.timescale);
    last = fragmentContaining(track, endTicks);
    // an end exactly on a boundary does not pull in the fragment starting there
    if (last > first && track.fragments.time[last] === endTicks) last--;
  }
  return [first, Math.max(first, last)];
}

export function present(index: MediaIndex, query: ManifestQuery): Presentation {
  const videos = index.tracks.filter((t): t is VideoTrack => t.type === 'video');
  const audios = index.tracks.filter((t): t is AudioTrack => t.type === 'audio');
  // The clip is decided on the (first) video track's fragments; audio follows the same instants.
  const reference = videos[0] ?? audios[0];
  if (!reference) throw new ManifestError('manifest.no_match', 'the video has no audio or video track');
  const [rFirst, rLast] = clipRange(reference, query.start, query.end);
  if (
    query.start !== undefined &&
    (reference.fragments.time[rFirst] ?? 0) + (reference.fragments.duration[rFirst] ?? 0) <= Math.round(query.start * reference.timescale)
  ) {
    throw new ManifestError('manifest.invalid_query', `start: ${query.start} s is past the end of the video`, { parameter: 'start' });
  }
  const clipStart = (reference.fragments.time[rFirst] ?? 0) / reference.timescale;
  const clipEnd = ((reference.fragments.time[rLast] ?? 0) + (reference.fragments.duration[rLast] ?? 0)) / reference.timescale;
  const clipped = query.start !== undefined || query.end !== undefined;

  const select = <T extends MediaTrack>(track: T): SelectedTrack<T> => {
    const target = targetTicks(track, query.segmentMs);
    let [from, to] = [0, track.fragments.time.length - 1];
    if (clipped) {
      // other tracks (audio) start and end at their fragment boundaries nearest the clip's instants
      const f = track.fragments;
      const startTicks = Math.round(clipStart * track.timescale);
      from = fragmentContaining(track, startTicks);
      if (from + 1 < f.time.length && Math.abs((f.time[from + 1] ?? 0) - startTicks) < Math.abs((f.time[from] ?? 0) - startTicks)) from++;
      const endTicks = Math.round(clipEnd * track.timescale);
      to = fragmentContaining(track, Math.max(0, endTicks - 1));
      if (to > from && Math.abs((f.time[to] ?? 0) - endTicks) < Math.abs((f.time[to] ?? 0) + (f.duration[to] ?? 0) - endTicks)) to--;
      if (to < from) to = from;
    }
    const segments = planSegments(track, target, from, to);
    const plan: SegmentPlan = { targetMs: query.segmentMs };
    const f = track.fragments;
    // a clip that ends before the track does names its end, so each segment URL replans exactly
    if (to < f.time.length - 1) plan.endTicks = (f.time[to] ?? 0) + (f.duration[to] ?? 0);
    return { track, segments, plan, bandwidth: segmentBitrates(track, segments) };
  };

  let video = videos.map(select);
  let audio = audios.map(select);
  video = video.filter(
    (v) =>
      (query.maxHeight === undefined || v.track.height <= query.maxHeight) &&
      (query.minHeight === undefined || v.track.height >= query.minHeight) &&
      (query.maxBitrate === undefined || v.bandwidth.peak <= query.maxBitrate) &&
      (query.minBitrate === undefined || v.bandwidth.peak >= query.minBitrate),
  );
  if (query.audio) {
    const wanted = query.audio;
    audio = audio.filter((a) =>
      wanted.some((l) => a.track.language.toLowerCase() === l || a.track.language.toLowerCase().startsWith(`${l}-`)),
    );
    audio.sort((a, b) => wanted.indexOf(a.track.language.toLowerCase()) - wanted.indexOf(b.track.language.toLowerCase()));
  }
  if (videos.length && !video.length)
    throw new ManifestError('manifest.no_match', 'no video rendition matches the height and bitrate filters', { parameter: 'max_height' });
  if (query.audio && audios.length && !audio.length)
    throw new ManifestError('manifest.no_match', `no audio track in ${query.audio.join(', ')}`, { parameter: 'audio' });
  const independent = video.every((v) => v.segments.every((s) => v.track.fragments.keyframe[s.first] === 1));
  return { video, audio, text: index.text, duration: clipEnd - clipStart, independent };
}

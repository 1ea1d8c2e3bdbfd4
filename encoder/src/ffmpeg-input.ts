// The input half of every ffmpeg and ffprobe command: the source is data for one named demuxer,
// never something ffmpeg guesses. Without `-f`, ffmpeg probes and may pick a demuxer that follows
// instructions in the file (hls, dash, concat, image2, sdp, tee…) and opens other files or URLs.
// Input options go before `-i` and apply to that input only (ffmpeg(1), "Main options"); ffprobe
// takes the same ones.
import type { Demuxer } from './container-sniffer.ts';

/**
 * Options that pin a demuxer down (ffmpeg-formats(1)):
 *  - `-f`: the demuxer, from the sniffer's allow-list;
 *  - `-format_whitelist`: no other demuxer may be opened, even nested;
 *  - `-protocol_whitelist file`: only the local file itself (no http, tcp, pipe, data, crypto…);
 *  - mov: `-enable_drefs 0` and `-use_absolute_path 0` (ffmpeg -h demuxer=mov: "external track
 *    support" and "allow using absolute path when opening alias, this is a possible security
 *    issue"); both are ffmpeg's defaults, pinned here so a build with other defaults changes nothing.
 */
export function inputArgs(demuxer: Demuxer, file: string): string[] {
  const demuxerOptions = demuxer === 'mov' ? ['-enable_drefs', '0', '-use_absolute_path', '0'] : [];
  return ['-f', demuxer, '-format_whitelist', demuxer, '-protocol_whitelist', 'file', ...demuxerOptions, '-i', file];
}

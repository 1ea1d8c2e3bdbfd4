import { describe, expect, it } from 'vitest';
import { h264Level, outputFps, planLadder } from './ladder-planner.ts';
import type { ProbedSource } from './source-probe.ts';

const source = (video: Partial<NonNullable<ProbedSource['video']>> | null, audio = 1): ProbedSource => ({
  format: 'mov',
  demuxer: 'mov',
  streams: 2,
  duration: 60,
  video: video
    ? {
        index: 0,
        codec: 'h264',
        width: 1920,
        height: 1080,
        rotation: 0,
        fps: 30,
        variableFrameRate: false,
        pixFmt: 'yuv420p',
        bitDepth: 8,
        hdr: false,
        ...video,
      }
    : null,
  audio: Array.from({ length: audio }, (_, i) => ({
    index: i + 1,
    codec: 'aac',
    channels: 2,
    sampleRate: 48000,
    language: i ? 'fra' : 'eng',
  })),
  subtitles: [],
});

describe('planLadder', () => {
  it('makes 1080p down to 240p for a 1080p source, bitrates descending, sizes even, levels fitting', () => {
    const plan = planLadder(source({}, 2));
    expect(plan.video.map((v) => `${v.width}x${v.height}`)).toEqual(['1920x1080', '1280x720', '854x480', '640x360', '426x240']);
    expect(plan.video.map((v) => v.level)).toEqual(['4.0', '3.1', '3.1', '3.0', '2.1']);
    for (let i = 1; i < plan.video.length; i++) expect(plan.video[i]!.bitrate).toBeLessThan(plan.video[i - 1]!.bitrate);
    expect(plan.gop).toBe(60);
    expect(plan.audio.map((a) => a.id)).toEqual(['a-eng', 'a-fra']);
  });

  it('never upscales: a 600p source tops at 600p; a tiny source gets one rung at its own size', () => {
    expect(planLadder(source({ width: 1067, height: 600 })).video.map((v) => v.height)).toEqual([600, 480, 360, 240]);
    expect(planLadder(source({ width: 321, height: 181 })).video.map((v) => `${v.width}x${v.height}`)).toEqual(['322x182']);
  });

  it('keeps portrait portrait, laddering by the short side', () => {
    const plan = planLadder(source({ width: 1080, height: 1920, rotation: 90 }));
    expect(plan.video[0]).toMatchObject({ width: 1080, height: 1920 });
    expect(plan.video.at(-1)).toMatchObject({ width: 240, height: 426 });
  });

  it('raises bitrates by half above 30 fps, caps frame rate at 60, keeps NTSC rates exact', () => {
    expect(planLadder(source({ fps: 60 })).video[0]!.bitrate).toBe(9000);
    expect(outputFps(120)).toEqual({ num: 60, den: 1 });
    expect(outputFps(29.97002997)).toEqual({ num: 30000, den: 1001 });
    expect(outputFps(23.976)).toEqual({ num: 24000, den: 1001 });
    expect(planLadder(source({ fps: 30000 / 1001 })).gop).toBe(60);
  });

  it('marks 10-bit, HDR and 4:2:2 sources for conversion to 8-bit 4:2:0', () => {
    expect(planLadder(source({ bitDepth: 10, pixFmt: 'yuv420p10le' })).toneMap).toBe(true);
    expect(planLadder(source({ pixFmt: 'yuv422p' })).toneMap).toBe(true);
    expect(planLadder(source({})).toneMap).toBe(false);
  });

  it('plans audio-only and video-only sources', () => {
    const audioOnly = planLadder(source(null));
    expect(audioOnly.video).toEqual([]);
    expect(audioOnly.audio).toHaveLength(1);
    expect(planLadder(source({}, 0)).audio).toEqual([]);
  });

  it('picks H.264 levels from frame size and rate (ITU-T H.264 Table A-1)', () => {
    expect(h264Level(1920, 1080, 30)).toBe('4.0');
    expect(h264Level(1920, 1080, 60)).toBe('4.2');
    expect(h264Level(3840, 2160, 30)).toBe('5.1');
  });
});

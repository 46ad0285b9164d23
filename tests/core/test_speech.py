import threading
import wave

from kiosk.speech import EspeakSpeaker


def test_espeak_writes_real_speech_in_each_language(tmp_path):
    finished = []
    done = threading.Event()

    def on_finished(utterance, returncode):
        finished.append((utterance, returncode))
        if len(finished) == 2:
            done.set()

    speaker = EspeakSpeaker(wav_dir=tmp_path, on_finished=on_finished)
    try:
        speaker.say("Touch to start", "en")
        done.wait(10)  # sequencing only; never asserted as a duration
        speaker.say("Toque para empezar", "es")
        done.wait(10)
    finally:
        speaker.close()
    # The first say() may have been interrupted by the second; the last one always completes.
    assert finished and finished[-1][0].language == "es" and finished[-1][1] == 0
    wavs = sorted(tmp_path.glob("*.wav"))
    assert wavs
    with wave.open(str(wavs[-1])) as audio:
        assert audio.getnframes() / audio.getframerate() > 0.5  # about a second of speech


def test_new_text_interrupts_and_stale_text_is_never_spoken(tmp_path):
    spoken = []
    last = threading.Event()

    def on_finished(utterance, _returncode):
        spoken.append(utterance.text)
        if utterance.text == "last":
            last.set()

    speaker = EspeakSpeaker(wav_dir=tmp_path, on_finished=on_finished)
    try:
        long_text = "This is a long sentence that goes on. " * 40
        for number in range(5):
            speaker.say(f"{long_text} {number}", "en")
        speaker.say("last", "en")
        assert last.wait(15)
    finally:
        speaker.close()
    assert spoken == ["last"]  # older texts were cut off or dropped, never queued up


def test_stop_silences(tmp_path):
    spoken = []
    speaker = EspeakSpeaker(wav_dir=tmp_path, on_finished=lambda u, _: spoken.append(u.text))
    try:
        speaker.say("A long sentence. " * 50, "en")
        speaker.stop()
    finally:
        speaker.close()
    assert spoken == []

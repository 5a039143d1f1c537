#!/usr/bin/python3
"""A Wyoming speech-to-text program around Debian's PocketSphinx (python3-pocketsphinx, pocketsphinx-en-us).

Speaks Wyoming on stdin/stdout (the default: what Earshot's wyoming-process engine runs) or, with --tcp PORT, serves
Wyoming clients on 127.0.0.1:PORT (what its wyoming-tcp engine connects to). Events: describe -> info;
transcribe, audio-start, audio-chunk..., audio-stop -> transcript. With --partials it also streams
transcript-start / transcript-chunk (text added since the last chunk) / transcript-stop while audio arrives.
Exits when stdin ends. Logs go to stderr.
"""
import argparse
import json
import socket
import sys
import threading

from pocketsphinx import Decoder

MODEL = '/usr/share/pocketsphinx/model/en-us/'


def make_decoder():
    config = Decoder.default_config()
    config.set_string('-hmm', MODEL + 'en-us')
    config.set_string('-lm', MODEL + 'en-us.lm.bin')
    config.set_string('-dict', MODEL + 'cmudict-en-us.dict')
    config.set_string('-logfn', '/dev/null')
    return Decoder(config)


def read_event(reader):
    line = reader.readline()
    if not line:
        return None
    header = json.loads(line)
    data = header.get('data') or {}
    if header.get('data_length'):
        data.update(json.loads(reader.read(header['data_length'])))
    payload = reader.read(header['payload_length']) if header.get('payload_length') else None
    return header['type'], data, payload


def write_event(writer, kind, data=None):
    header = {'type': kind, 'version': '1.5.2'}
    if data:
        header['data'] = data
    writer.write((json.dumps(header) + '\n').encode('utf-8'))
    writer.flush()


INFO = {'asr': [{'name': 'pocketsphinx', 'description': 'CMU PocketSphinx (Debian python3-pocketsphinx)',
                 'installed': True, 'version': '0.1.15',
                 'attribution': {'name': 'CMU Sphinx', 'url': 'https://cmusphinx.github.io/'},
                 'models': [{'name': 'en-us', 'languages': ['en'], 'installed': True, 'version': '0.8',
                             'description': 'pocketsphinx-en-us',
                             'attribution': {'name': 'CMU Sphinx', 'url': 'https://cmusphinx.github.io/'}}]}]}


def serve(reader, writer, partials):
    decoder = make_decoder()
    in_utterance = False
    streamed = ''
    while True:
        event = read_event(reader)
        if event is None:
            return
        kind, data, payload = event
        if kind == 'describe':
            write_event(writer, 'info', INFO)
        elif kind == 'audio-start':
            decoder.start_utt()
            in_utterance = True
            streamed = ''
        elif kind == 'audio-chunk' and in_utterance and payload:
            decoder.process_raw(payload, False, False)
            if partials:
                hyp = decoder.hyp()
                text = hyp.hypstr if hyp else ''
                if text.startswith(streamed) and len(text) > len(streamed):
                    if not streamed:
                        write_event(writer, 'transcript-start')
                    write_event(writer, 'transcript-chunk', {'text': text[len(streamed):]})
                    streamed = text
        elif kind == 'audio-stop' and in_utterance:
            decoder.end_utt()
            in_utterance = False
            hyp = decoder.hyp()
            if partials and streamed:
                write_event(writer, 'transcript-stop')
            write_event(writer, 'transcript', {'text': hyp.hypstr if hyp else ''})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--tcp', type=int, help='serve Wyoming clients on 127.0.0.1:PORT instead of stdin/stdout')
    parser.add_argument('--partials', action='store_true', help='stream transcript-chunk events')
    args = parser.parse_args()
    if args.tcp is None:
        serve(sys.stdin.buffer, sys.stdout.buffer, args.partials)
        return
    server = socket.create_server(('127.0.0.1', args.tcp))
    print('listening on 127.0.0.1:%d' % server.getsockname()[1], file=sys.stderr, flush=True)

    def handle(connection):
        with connection:
            try:
                serve(connection.makefile('rb'), connection.makefile('wb'), args.partials)
            except (OSError, ValueError) as e:
                print('connection ended: %s' % e, file=sys.stderr, flush=True)

    while True:
        connection, _ = server.accept()
        threading.Thread(target=handle, args=(connection,), daemon=True).start()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass

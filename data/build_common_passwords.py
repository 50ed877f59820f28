"""Builds common-passwords.txt: the passwords Stadsmaat refuses at registration.

Source: the 10,000 most frequent entries of the `passwords` frequency list shipped in the
zxcvbn package (MIT licence; the list itself comes from leaked-password corpora), plus a
short hand-made Dutch supplement (words Dutch users pick and the names of the G40 cities).
Reproduce with:  pip install zxcvbn==4.5.0 && python3 data/build_common_passwords.py
"""
import json
import pathlib

from zxcvbn.frequency_lists import FREQUENCY_LISTS

HERE = pathlib.Path(__file__).parent
DUTCH = """wachtwoord welkom welkom01 geheim voetbal ajax feyenoord psv vitesse twente
zomer winter lente herfst januari februari maart april mei juni juli augustus september
oktober november december maandag dinsdag woensdag donderdag vrijdag zaterdag zondag
schatje liefje hallo doei gemeente ambtenaar stadsmaat nederland holland oranje amsterdam
rotterdam utrecht denhaag eindhoven kabouter konijn poes hond vakantie fiets""".split()


def main():
    cities = [c["name"] for c in json.loads((HERE / "g40-2020.json").read_text())["cities"]]
    words = list(FREQUENCY_LISTS["passwords"][:10000])
    words += DUTCH
    words += ["".join(ch for ch in name.lower() if ch.isalnum()) for name in cities]
    seen, out = set(), []
    for word in words:
        if word not in seen:
            seen.add(word)
            out.append(word)
    (HERE / "common-passwords.txt").write_text("\n".join(out) + "\n")
    print(f"{len(out)} passwords")


if __name__ == "__main__":
    main()

"""Each language's stems: a word's forms are one term, accents and case folded first."""

from __future__ import annotations

import pytest

from helpdesk.search.stemming import stem_of, stemmed, stems


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("contraseña", "contraseñas"),
        ("contraseña", "contrasena"),  # typed without the ñ
        ("bloqueada", "bloqueo"),  # the verb and the noun (Snowball leaves "bloque" and "bloqu")
        ("bloqueado", "bloquear"),
        ("información", "informacion"),
        ("Sesión", "sesiones"),
    ],
)
def test_spanish_forms_are_one_stem(one, other):
    assert stem_of(one, "es") == stem_of(other, "es")


def test_spanish_words_that_differ_keep_different_stems():
    assert stem_of("cuenta", "es") != stem_of("correo", "es")
    assert stem_of("clave", "es") != stem_of("código", "es")


def test_english_is_stemmed_as_english():
    assert stem_of("passwords", "en") == stem_of("password", "en")
    assert stem_of("locked", "en") == stem_of("locking", "en")


def test_arabic_prefix_and_plural_forms_are_one_stem():
    assert stem_of("الحساب", "ar") == stem_of("حساب", "ar")  # with the article "al-"
    assert stem_of("المرور", "ar") == stem_of("مرور", "ar")


def test_arabic_short_vowel_marks_do_not_count():
    assert stem_of("حِسَاب", "ar") == stem_of("حساب", "ar")


def test_a_language_without_a_stemmer_keeps_its_words_folded():
    assert stems("Mot de passe oublié", "fr") == ["mot", "de", "passe", "oublie"]


def test_stemmed_text_is_the_stems_one_space_apart():
    assert stemmed("Contraseñas, bloqueadas.", "es") == " ".join(
        [stem_of("contraseña", "es"), stem_of("bloqueada", "es")]
    )

"""Where an object goes (``semantic.object_origins`` / ``semantic.object_fate``): followed from the
calls that make it through names, containers, returns and the file's own functions; kept when
it reaches what the file cannot see the end of, dropped only when every use was followed."""

from __future__ import annotations

import textwrap

import libcst as cst

from kerascheck.static.context import FileContext, analyse
from kerascheck.static.semantic import Site
from kerascheck.static.semantic.escapes import ObjectFate, ObjectPolicy

POLICY = ObjectPolicy(
    inert_calls=frozenset({"print", "len"}),
    data_methods=frozenset({"transform", "fit_transform", "texts_to_sequences", "fit_on_texts", "adapt"}),
    self_methods=frozenset({"fit"}),
    keeping_methods=frozenset({"to_json"}),
)
MAKERS = ("sklearn.preprocessing.StandardScaler", "keras.preprocessing.text.Tokenizer", "keras.layers.TextVectorization")


def _last_call_in(context: FileContext, function: str) -> Site:
    """The site of the last call inside ``function`` (its names' bindings are visible there)."""
    sites = [r.site for r in context.semantic.calls.calls if r.site.function is not None and r.site.function.name.value == function]
    return max(sites, key=lambda site: site.order)


def _fate(source: str, holder: str = "scaler", function: str | None = None) -> ObjectFate:
    """The fate of the object ``holder`` names at the end of ``function`` (or of the module)."""
    context = analyse(source)
    semantic = context.semantic
    site = semantic.end if function is None else _last_call_in(context, function)
    made = semantic.object_origins(cst.Name(holder), lambda call: context.qualified(call.func) in MAKERS, POLICY.self_methods, site)
    assert made, "the object's constructor was not found"
    return semantic.object_fate(made, POLICY)


def test_a_dict_item_read_back_under_other_keys_only_is_dropped() -> None:
    source = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        def load():
            scaler = StandardScaler()
            train = scaler.fit_transform(raw)
            data = dict()
            data["x"] = train
            data["scaler"] = scaler
            return data
        def report(data):
            print(data["x"].shape)
        def main():
            data = load()
            report(data)
            fit(data["x"])
        main()
        """
    )
    fate = _fate(source, function="load")
    assert not fate.kept
    assert fate.returned_by == {"load"}  # another module calling ``load`` would receive it
    # reading the same key back and handing it to code of another module keeps it
    kept = source.replace('fit(data["x"])', 'joblib.dump(data["scaler"], "s.pkl")')
    assert _fate(kept, function="load").kept
    assert _fate(source.replace('fit(data["x"])', "pickle.dump(data, f)"), function="load").kept


def test_a_tuple_returned_and_unpacked_follows_its_position() -> None:
    source = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        def scale(df, scaler=None):
            if not scaler:
                scaler = StandardScaler()
            out = scaler.fit_transform(df)
            return scaler, out
        def prep(a, b):
            scaler, a = scale(a)
            scaler, b = scale(b, scaler)
            return a, b
        x, y = prep(p, q)
        """
    )
    assert not _fate(source, function="scale").kept
    # the caller hands the scaler back to its own caller, which stores it on an object
    handed = source.replace("return a, b", "return a, b, scaler").replace("x, y = prep(p, q)", "x, y, self.s = prep(p, q)")
    assert _fate(handed, function="scale").kept
    # a position other than the scaler's is what the caller keeps
    other = source.replace("x, y = prep(p, q)", "x, y = prep(p, q)\nregistry.add(x)")
    assert not _fate(other, function="scale").kept


def test_views_of_the_state_are_followed_and_their_entries_are_data() -> None:
    source = textwrap.dedent(
        """
        from tensorflow.keras.preprocessing.text import Tokenizer
        tok = Tokenizer()
        tok.fit_on_texts(texts)
        word2idx = tok.word_index
        idx2word = {v: k for k, v in word2idx.items()}
        for word, i in word2idx.items():
            matrix[i] = vectors.get(word)
        print(len(tok.word_index), idx2word[3])
        seqs = tok.texts_to_sequences(texts)
        """
    )
    fate = _fate(source, holder="tok")
    assert not fate.kept
    assert {"tok", "word2idx", "idx2word"} <= fate.module_names
    assert _fate(source + "json.dump(idx2word, f)\n", holder="tok").kept  # the inverse vocabulary is written
    assert _fate(source + "f.write(tok.to_json())\n", holder="tok").kept


def test_the_files_own_functions_are_followed_into() -> None:
    source = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        def show(s, label):
            print(label, s)
        def save(s):
            joblib.dump(s, "scaler.pkl")
        scaler = StandardScaler().fit(x)
        show(scaler, "fitted")
        """
    )
    assert not _fate(source).kept
    assert _fate(source + "save(scaler)\n").kept
    assert _fate(source + "items = []\nitems.append(scaler)\nkeep(items)\n").kept
    assert not _fate(source + "items = []\nitems.append(scaler)\nprint(items)\n").kept


def test_what_the_file_cannot_follow_keeps_the_object() -> None:
    source = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        def make():
            scaler = StandardScaler()
            scaler.fit(x)
            return scaler
        """
    )
    assert _fate(source, function="make").kept  # no caller in this file: whoever calls it may keep it
    method = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        class Prep:
            def make(self):
                scaler = StandardScaler()
                scaler.fit(x)
                return scaler
        p = Prep().make()
        """
    )
    assert _fate(method, function="make").kept  # methods may be called from anywhere
    stored = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        class Prep:
            def __init__(self):
                scaler = StandardScaler()
                scaler.fit(x)
                self.scaler = scaler
        """
    )
    assert _fate(stored, function="__init__").kept


def test_a_layer_called_in_the_model_is_kept_but_not_in_a_data_pipeline() -> None:
    source = textwrap.dedent(
        """
        import keras
        vec = keras.layers.TextVectorization()
        vec.adapt(texts)
        def vectorize(text, label):
            return vec(text), label
        train = train.map(vectorize)
        test = test.map(vectorize)
        """
    )
    assert not _fate(source, holder="vec").kept
    assert not _fate(source.replace("train.map(vectorize)", "train.map(lambda t, y: (vec(t), y))"), holder="vec").kept
    in_model = source + "inputs = keras.Input((1,), dtype='string')\nmodel = keras.Model(inputs, vec(inputs))\n"
    assert _fate(in_model, holder="vec").kept
    called_elsewhere = source + "out = vectorize(x, y)\n"
    assert _fate(called_elsewhere, holder="vec").kept  # ``vectorize`` may then build a model


def test_origins_through_parameters_need_every_caller() -> None:
    source = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        def fit_it(s):
            s.fit(x)
        fit_it(StandardScaler())
        """
    )
    context = analyse(source)
    site = _last_call_in(context, "fit_it")
    made = context.semantic.object_origins(cst.Name("s"), lambda call: context.qualified(call.func) in MAKERS, frozenset({"fit"}), site)
    assert made is not None and [context.code(m) for m in made] == ["StandardScaler()"]
    # also called with ``g``'s parameter, whose callers are not in the file
    passed_on = analyse(source + "def g(s2):\n    fit_it(s2)\n")
    site = _last_call_in(passed_on, "fit_it")
    assert passed_on.semantic.object_origins(cst.Name("s"), lambda call: context.qualified(call.func) in MAKERS, frozenset(), site) is None


def test_items_stored_into_a_module_level_container_are_followed_there() -> None:
    source = textwrap.dedent(
        """
        from sklearn.preprocessing import StandardScaler
        ARTIFACTS = {}
        def prepare(x):
            scaler = StandardScaler()
            ARTIFACTS["scaler"] = scaler
            return scaler.fit_transform(x)
        x = prepare(raw)
        """
    )
    fate = _fate(source, function="prepare")
    assert not fate.kept and "ARTIFACTS" in fate.module_names
    assert _fate(source + "joblib.dump(ARTIFACTS, 'a.pkl')\n", function="prepare").kept

"""kerascheck.records.record behaves as @dataclass does, for everything kerascheck uses."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from kerascheck.records import record


def _pair(**options: Any) -> tuple[type, type]:
    """The same class body made once by ``dataclass`` and once by ``record``."""

    def body() -> type:
        class Point:
            """A point."""

            LIMIT: ClassVar[int] = 10
            x: int
            y: float = 0.0
            tags: tuple[str, ...] = ()
            notes: list[str] = field(default_factory=list, compare=False)
            label: str = field(default="", repr=False, hash=False)

            def norm(self) -> float:
                return abs(self.x) + abs(self.y)

        return Point

    return dataclass(**options)(body()), record(**options)(body())


# module-level classes, so that pickle can find them
@record
class Spot:
    line: int
    column: int = 0
    extra: tuple[Any, ...] = field(default=(), compare=False)


@record(order=True)
class Ranked:
    path: str
    line: int


@record(frozen=False, eq=False)
class Scope:
    name: str
    children: list[str] = field(default_factory=list)


@pytest.mark.parametrize("options", [{"frozen": True}, {"frozen": True, "order": True}, {"frozen": False}, {"eq": False}])
def test_behaves_as_dataclass(options: dict[str, Any]) -> None:
    made_by_dataclass, made_by_record = _pair(**options)
    for cls in (made_by_dataclass, made_by_record):
        assert dataclasses.is_dataclass(cls)
    samples = [((1,), {}), ((1, 2.0), {"tags": ("a",)}), ((3,), {"notes": ["n"], "label": "L"})]
    expected = [made_by_dataclass(*a, **k) for a, k in samples]
    actual = [made_by_record(*a, **k) for a, k in samples]
    for want, got in zip(expected, actual, strict=True):
        assert repr(got) == repr(want)
        assert vars(got) == vars(want)
        assert [f.name for f in dataclasses.fields(got)] == [f.name for f in dataclasses.fields(want)]
        assert dataclasses.asdict(got) == dataclasses.asdict(want)
        assert dataclasses.astuple(got) == dataclasses.astuple(want)
        assert got.norm() == want.norm()
        assert type(got).__match_args__ == type(want).__match_args__
        changed = dataclasses.replace(got, x=7)
        assert (changed.x, changed.y, changed.tags) == (7, got.y, got.tags) and type(changed) is made_by_record
    for i, (a, b) in enumerate(zip(expected, expected[1:] + expected[:1], strict=True)):
        c, d = actual[i], actual[(i + 1) % len(actual)]
        assert (c == d) == (a == b)
        assert (c == made_by_record(c.x, c.y, c.tags)) == (a == made_by_dataclass(a.x, a.y, a.tags))
        if options.get("order"):
            assert (c < d, c <= d, c > d, c >= d) == (a < b, a <= b, a > b, a >= b)
    hashable = made_by_dataclass.__hash__ is not None
    assert (made_by_record.__hash__ is not None) == hashable
    if hashable and options.get("eq", True):
        # equal by the compared fields, hashed without the hash=False one
        assert hash(made_by_record(1, notes=["x"], label="a")) == hash(made_by_record(1, label="b"))
    assert made_by_record.LIMIT == 10 and "LIMIT" not in {f.name for f in dataclasses.fields(made_by_record)}


def test_frozen_records_refuse_assignment() -> None:
    spot = Spot(1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="line"):
        spot.line = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del spot.line  # type: ignore[misc]
    mutable = Scope("s")
    mutable.name = "t"
    assert mutable.name == "t"


def test_default_factories_make_a_new_value_each_time() -> None:
    first, second = Scope("a"), Scope("b")
    first.children.append("x")
    assert second.children == [] and Scope("c", ["given"]).children == ["given"]


def test_equality_is_by_class_and_compared_fields() -> None:
    assert Spot(1, 2, extra=("a",)) == Spot(1, 2)
    assert hash(Spot(1, 2, extra=("a",))) == hash(Spot(1, 2))
    assert Spot(1, 2) != Spot(1, 3)
    assert Spot(1) != Ranked("p", 1) and Spot(1) != (1, 0)
    nan = float("nan")
    assert Spot(nan) == Spot(nan)  # the same object, as tuples compare (nan == nan is false)
    first = Scope("s")  # eq=False: identity
    assert first != Scope("s") and first == first and hash(first) == object.__hash__(first)


def test_ordering_sorts_by_field_tuple() -> None:
    items = [Ranked("b", 1), Ranked("a", 2), Ranked("a", 1)]
    assert sorted(items) == [Ranked("a", 1), Ranked("a", 2), Ranked("b", 1)]
    with pytest.raises(TypeError):
        _ = Ranked("a", 1) < Spot(1)  # type: ignore[operator]


def test_pickle_and_copy_round_trip() -> None:
    for value in (Spot(3, 4, extra=("e",)), Ranked("p", 2)):
        for clone in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
            assert clone == value and vars(clone) == vars(value) and type(clone) is type(value)


def test_keyword_and_positional_arguments_and_errors_match_python() -> None:
    assert Spot(line=1, column=2) == Spot(1, 2)
    with pytest.raises(TypeError):
        Spot()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Spot(1, 2, (), 4)  # type: ignore[call-arg]


def test_the_class_body_keeps_its_own_methods() -> None:
    @record
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __hash__(self) -> int:
            return 7

    assert repr(Named("n")) == "<n>" and hash(Named("n")) == 7 and Named("n") == Named("n")


def test_declarations_dataclass_refuses_are_refused() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @record
        class Bad:
            items: list[int] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="non-default argument"):

        @record
        class Misordered:
            a: int = 0
            b: int  # type: ignore[misc]

    with pytest.raises(ValueError, match="eq must be true"):
        record(eq=False, order=True)(type("Plain", (), {"__annotations__": {"a": "int"}}))


def test_post_init_runs() -> None:
    seen = []

    @record
    class Checked:
        value: int

        def __post_init__(self) -> None:
            seen.append(self.value)

    Checked(5)
    assert seen == [5]

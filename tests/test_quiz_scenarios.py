"""Proven keys: every predict question's scenario runs on the engine and must agree.

Each predict question carries a scenario (quiz/scenarios/<id>/): files and commands.
The commands run on the real engine; what they measure (the output, the steps a
rebuild ran again, the layers a build added) is turned into an answer and compared
with the clear key. So the quiz cannot teach something Docker does not do.
"""

from __future__ import annotations

import docker
import docker.errors
import pytest

from grader.engine import labels
from grader.engine.labels import RunIdentity
from grader.quiz.bank import Question, load_bank
from grader.quiz.keys import KEYS_PATH, load_keys
from grader.quiz.prove import Measured, prove
from grader.quiz.scoring import AnswerValue
from tests.conftest import REPO

pytestmark = pytest.mark.engine

BANK = load_bank(REPO / "quiz")
KEYS = load_keys(REPO / KEYS_PATH, BANK)
PREDICT = [question for question in BANK.questions if question.scenario is not None]


def answer_for(question: Question, measured: Measured) -> AnswerValue:
    """Turn a measurement into the answer it makes right."""
    if question.form == "single":
        matching = [
            number
            for number, choice in enumerate(question.choices, start=1)
            if choice.value == str(measured.value)
        ]
        assert matching, (
            f"the scenario measured {measured.value!r}, which no choice offers:"
            f" {[choice.value for choice in question.choices]}\n{measured.describe()}"
        )
        return matching[0]
    return measured.value


@pytest.mark.parametrize("question", PREDICT, ids=[q.id for q in PREDICT])
def test_scenario_decides_the_key(
    engine: docker.DockerClient, question: Question
) -> None:
    assert question.scenario is not None
    identity = RunIdentity()

    measured = prove(question.scenario, engine, identity)

    key = KEYS.keys[question.id].value
    assert answer_for(question, measured) == key, (
        f"{question.id}: Docker says {measured.value!r}, the key says {key!r}.\n"
        + measured.describe()
    )
    left = {
        "containers": engine.containers.list(
            all=True, filters={"label": f"{labels.RUN}={identity.run_id}"}
        ),
        "volumes": [name for name in measured.volumes if exists(engine.volumes, name)],
        "images": [image for image in measured.images if exists(engine.images, image)],
        "networks": engine.networks.list(
            filters={"label": f"{labels.RUN}={identity.run_id}"}
        ),
    }
    assert not any(left.values()), f"the scenario left {left} behind"


def exists(collection: object, name: str) -> bool:
    try:
        collection.get(name)  # type: ignore[attr-defined]
    except docker.errors.NotFound:
        return False
    return True


def test_every_predict_form_is_proven() -> None:
    forms = {question.form for question in PREDICT}
    measures = {q.scenario.measure for q in PREDICT if q.scenario is not None}

    assert forms == {"single", "steps", "number"}
    assert {"output", "rebuilt", "layers"} <= measures

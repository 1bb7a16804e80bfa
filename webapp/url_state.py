"""The one place where page state meets st.query_params. A page (or the sidebar) declares its
state as an observatoire.url_state.UrlState dataclass, calls `restore` before its widgets and
`publish` after them: on arrival the link is read once and the widgets are seeded with it;
afterwards the widgets hold the state and the link is rewritten to match (defaults left
out, old aliases such as `echelon` replaced by their key)."""

from __future__ import annotations

from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from observatoire.url_state import UrlState

S = TypeVar("S", bound=UrlState)


def _reread_flag(store: str) -> str:
    return f"_{store}_reread"


def _history_navigation() -> bool:
    """This run follows the browser's back or forward button: the link of then wins."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))


def restore(cls: type[S], store: str, *args) -> S:
    """The state at the start of the run, its widgets seeded with it. On arrival (none of its
    widgets drawn in the previous run, or after `reread`) it comes from the link when the
    link holds any of its keys, else it is the state last left (STORE in the session, when
    the class REMEMBERs) or the defaults. After the browser's back or forward button it
    comes from the link alone, as widgets bound to the URL did. ARGS go to the class's
    `checked` (what the warehouse holds)."""
    state = st.session_state
    history = _history_navigation()
    reread_asked = state.pop(_reread_flag(store), False)
    arriving = history or reread_asked or not any(w in state for w in cls.widget_keys())
    query = st.query_params.to_dict()
    if history or (arriving and any(query.get(key) for key in cls.url_keys())):
        state[store] = cls.from_query(query, *args)
    elif arriving and not cls.REMEMBER:
        state.pop(store, None)
    current = (state.get(store) or cls()).checked(*args)
    for widget, value in current.widget_state().items():
        if arriving:
            state[widget] = value
        else:
            state.setdefault(widget, value)
    return current


def publish(choices: UrlState, store: str) -> None:
    """Remember CHOICES (STORE in the session) and write them in the link; only the keys
    that change are touched, so that an unchanged run sends nothing."""
    st.session_state[store] = choices
    wanted = choices.to_query()
    for key in type(choices).url_keys():
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def reread(store: str) -> None:
    """Read STORE's state from the link again on the next run (after st.switch_page, whose
    run loses the widgets' state: the state travels in the new page's link)."""
    st.session_state[_reread_flag(store)] = True


def keep_known(widget: str, options: list, fallback=None) -> None:
    """Bring a widget's value back among OPTIONS (a value from a link that the warehouse
    does not hold, or that the filters left out): FALLBACK, else the first option."""
    if options and st.session_state.get(widget) not in options:
        st.session_state[widget] = fallback if fallback is not None else options[0]


def keep_labelled(widget: str, labels: dict, label: str | None) -> None:
    """For a widget whose options are LABELS' keys but whose link holds the label: when its
    value is not among the options (arriving, or the filters changed), the option labelled
    LABEL, else the first."""
    if labels and st.session_state.get(widget) not in labels:
        matching = (value for value, text in labels.items() if text == label)
        st.session_state[widget] = next(matching, next(iter(labels)))


def label_in_link(labels: dict, value) -> str | None:
    """The label a keep_labelled widget leaves in the link: none for the first option, the
    default."""
    return None if value == next(iter(labels)) else labels[value]

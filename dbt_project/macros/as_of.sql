{% macro as_of_moment() -%}
    {#- The moment a night judges as at: the DAG's logical date, or `refresh --as-of`.
        No model reads the wall clock, so a past night can be rebuilt as it ran.
        The pipeline passes it as SENDWATCH_AS_OF, not as a var: dbt parses the whole
        project again whenever its vars change, and a night's differs from the last's.
        The var `as_of`, where given (unit tests, a build by hand), comes first. -#}
    {%- set as_of = var("as_of", env_var("SENDWATCH_AS_OF", "")) -%}
    {%- if execute and not as_of -%}
        {{ exceptions.raise_compiler_error(
            "as_of is not set: pass --vars '{as_of: ...}' or set SENDWATCH_AS_OF") }}
    {%- endif -%}
    cast('{{ as_of }}' as timestamptz)
{%- endmacro %}

{% macro as_of_date() -%}
    {#- The day in England the night judges as at (deadlines are English dates). -#}
    cast(timezone('Europe/London', {{ as_of_moment() }}) as date)
{%- endmacro %}

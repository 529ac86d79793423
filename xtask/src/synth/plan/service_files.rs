//! The new files that hold services, with what each is about and the services it holds.

use super::{LIFE, Svc, svc};

/// New files that hold services: file name, what it is about, services.
pub(crate) const SERVICE_FILES: &[(&str, &str, &[Svc])] = &[
    (
        "apianimationtimetransform.proto",
        "animation time transforms (two services, one of them with a single `type` RPC)",
        &[
            svc(
                "ApiAnimationTimeTransformService",
                "ApiAnimationTimeTransform",
                1,
                &["type"],
            ),
            svc(
                "ApiLinearTimeTransformService",
                "ApiLinearTimeTransform",
                6,
                LIFE,
            ),
        ],
    ),
    (
        "apibinaryfile.proto",
        "binary tables and groups, the SDK's two largest services after the render engine",
        &[
            svc(
                "ApiBinaryGroupService",
                "ApiBinaryGroup",
                97,
                &["create", "destroy", "isEmpty"],
            ),
            svc(
                "ApiBinaryTableService",
                "ApiBinaryTable",
                98,
                &["create1=create", "destroy1=destroy", "isEmpty1=isEmpty"],
            ),
        ],
    ),
    (
        "apicustomcurveeditorcontroller.proto",
        "a curve editor whose drawer and listener classes are nested, so their request types sit \
         three levels deep",
        &[
            svc(
                "ApiCustomCurveEditorControllerService",
                "ApiCustomCurveEditorController",
                12,
                LIFE,
            ),
            svc(
                "ApiCustomCurveEditorController_DrawerService",
                "ApiCustomCurveEditorController.ApiCustomCurveEditorController_Drawer",
                9,
                &["setColor", "setClipRegionAndFillBackground"],
            ),
            svc(
                "ApiCustomCurveEditorController_ListenerService",
                "ApiCustomCurveEditorController.ApiCustomCurveEditorController_Listener",
                1,
                &["onVisualChange"],
            ),
        ],
    ),
    (
        "apiimageinfo.proto",
        "image and layer infos (file named unlike its services)",
        &[
            svc("ImageInfoService", "ImageInfo", 4, &[]),
            svc("LayerInfoService", "LayerInfo", 5, &["type"]),
        ],
    ),
    (
        "apimodule.proto",
        "module infos: four services in one file",
        &[
            svc(
                "ApiCommandModuleInfoService",
                "ApiCommandModuleInfo",
                5,
                LIFE,
            ),
            svc("ApiModuleGlobalService", "ApiModuleGlobal", 8, &[]),
            svc(
                "ApiNodeGraphModuleInfoService",
                "ApiNodeGraphModuleInfo",
                9,
                LIFE,
            ),
            svc(
                "ApiWorkPaneModuleInfoService",
                "ApiWorkPaneModuleInfo",
                6,
                LIFE,
            ),
        ],
    ),
    (
        "apimouselistener.proto",
        "mouse events",
        &[
            svc("ApiMouseEventService", "ApiMouseEvent", 4, &[]),
            svc("ApiMouseListenerService", "ApiMouseListener", 3, LIFE),
            svc(
                "ApiMouseWheelDetailsService",
                "ApiMouseWheelDetails",
                2,
                &[],
            ),
        ],
    ),
    (
        "octanenet.proto",
        "net render status and socket addresses",
        &[
            svc("NetRenderStatusService", "NetRenderStatus", 3, &[]),
            svc("SocketAddressService", "SocketAddress", 4, &[]),
        ],
    ),
    (
        "octanevolume.proto",
        "VDB volumes: three services",
        &[
            svc("VdbGridInfoService", "VdbGridInfo", 6, &["type"]),
            svc("VdbGridSamplerService", "VdbGridSampler", 4, LIFE),
            svc("VdbInfoService", "VdbInfo", 7, &[]),
        ],
    ),
    (
        "apinodesystem_8.proto",
        "node system, part 8: the root node graph",
        &[svc("ApiRootNodeGraphService", "ApiRootNodeGraph", 14, LIFE)],
    ),
    (
        "apitilegrid.proto",
        "tile grids (file named unlike its service)",
        &[svc(
            "ApiTileGridLoaderService",
            "ApiTileGridLoader",
            5,
            LIFE,
        )],
    ),
    (
        "control.proto",
        "application control; its class nests an `ApiLogRequest` that shadows the top-level one",
        &[svc("ApiControlService", "ApiControl", 10, &[])],
    ),
    (
        "octaneimageexport.proto",
        "image export settings",
        &[svc(
            "ImageExportSettingsService",
            "ImageExportSettings",
            6,
            LIFE,
        )],
    ),
    (
        "apimaterialx.proto",
        "MaterialX (file named unlike its service)",
        &[svc(
            "ApiMaterialXGlobalService",
            "ApiMaterialXGlobal",
            4,
            &[],
        )],
    ),
    (
        "apiimagebuffer.proto",
        "image buffers: `Buffer` fields and a `type` RPC",
        &[svc(
            "ApiImageBufferService",
            "ApiImageBuffer",
            41,
            &["type", "destroy"],
        )],
    ),
    (
        "apifilename.proto",
        "file names",
        &[svc("ApiFileNameService", "ApiFileName", 30, LIFE)],
    ),
    (
        "apimodulenodegraph.proto",
        "module node graphs",
        &[svc(
            "ApiModuleNodeGraphService",
            "ApiModuleNodeGraph",
            49,
            LIFE,
        )],
    ),
    (
        "apithread.proto",
        "threads: an RPC named `yield`",
        &[svc("ApiThreadService", "ApiThread", 4, &["yield"])],
    ),
    (
        "apidiagnostics.proto",
        "diagnostics",
        &[svc("ApiDiagnosticsService", "ApiDiagnostics", 1, &[])],
    ),
    (
        "apitimesampling.proto",
        "time sampling",
        &[svc("ApiTimeSamplingService", "ApiTimeSampling", 1, &[])],
    ),
    (
        "apibase64.proto",
        "base64: a `bytes` response field",
        &[svc("ApiBase64Service", "ApiBase64", 3, &[])],
    ),
    (
        "apiimage.proto",
        "images",
        &[svc("ApiImageService", "ApiImage", 27, LIFE)],
    ),
    (
        "apiguicomponent.proto",
        "GUI components",
        &[svc("ApiGuiComponentService", "ApiGuiComponent", 26, &[])],
    ),
    (
        "apigeometryexporter.proto",
        "geometry export",
        &[svc(
            "ApiGeometryExporterService",
            "ApiGeometryExporter",
            9,
            LIFE,
        )],
    ),
    (
        "apiocioconfig.proto",
        "OCIO configs",
        &[svc("ApiOcioConfigService", "ApiOcioConfig", 12, LIFE)],
    ),
    (
        "apiocioconfigloader.proto",
        "OCIO config loading",
        &[svc(
            "ApiOcioConfigLoaderService",
            "ApiOcioConfigLoader",
            6,
            LIFE,
        )],
    ),
    (
        "apiociocontextmanager.proto",
        "OCIO contexts",
        &[svc(
            "ApiOcioContextManagerService",
            "ApiOcioContextManager",
            8,
            &[],
        )],
    ),
    (
        "apioutputcolorspaceinfo.proto",
        "output colour spaces",
        &[svc(
            "ApiOutputColorSpaceInfoService",
            "ApiOutputColorSpaceInfo",
            7,
            LIFE,
        )],
    ),
    (
        "apisharedsurface.proto",
        "shared surfaces",
        &[svc("ApiSharedSurfaceService", "ApiSharedSurface", 6, LIFE)],
    ),
    (
        "apiselectionmanager.proto",
        "selection",
        &[svc(
            "ApiSelectionManagerService",
            "ApiSelectionManager",
            14,
            &[],
        )],
    ),
    (
        "apisceneoutliner.proto",
        "scene outliner",
        &[svc("ApiSceneOutlinerService", "ApiSceneOutliner", 5, LIFE)],
    ),
    (
        "apinodegrapheditor.proto",
        "node graph editor",
        &[svc(
            "ApiNodeGraphEditorService",
            "ApiNodeGraphEditor",
            11,
            LIFE,
        )],
    ),
    (
        "apinodeinspector.proto",
        "node inspector",
        &[svc("ApiNodeInspectorService", "ApiNodeInspector", 5, LIFE)],
    ),
    (
        "apirenderview.proto",
        "render view",
        &[svc("ApiRenderViewService", "ApiRenderView", 12, LIFE)],
    ),
    (
        "apiprojectworkspace.proto",
        "project workspace",
        &[svc(
            "ApiProjectWorkspaceService",
            "ApiProjectWorkspace",
            6,
            &[],
        )],
    ),
    (
        "apimainwindow.proto",
        "main window",
        &[svc("ApiMainWindowService", "ApiMainWindow", 3, &[])],
    ),
    (
        "apiwindow.proto",
        "windows",
        &[svc("ApiWindowService", "ApiWindow", 9, LIFE)],
    ),
    (
        "apitextbutton.proto",
        "text buttons",
        &[svc("ApiTextButtonService", "ApiTextButton", 4, LIFE)],
    ),
    (
        "apicheckbox.proto",
        "check boxes",
        &[svc("ApiCheckBoxService", "ApiCheckBox", 5, LIFE)],
    ),
    (
        "apicombobox.proto",
        "combo boxes",
        &[svc("ApiComboBoxService", "ApiComboBox", 6, LIFE)],
    ),
    (
        "apilabel.proto",
        "labels",
        &[svc("ApiLabelService", "ApiLabel", 4, LIFE)],
    ),
    (
        "apitexteditor.proto",
        "text editors",
        &[svc("ApiTextEditorService", "ApiTextEditor", 6, LIFE)],
    ),
    (
        "apinumericbox.proto",
        "numeric boxes",
        &[svc("ApiNumericBoxService", "ApiNumericBox", 7, LIFE)],
    ),
    (
        "apicolorswatch.proto",
        "colour swatches",
        &[svc("ApiColorSwatchService", "ApiColorSwatch", 5, LIFE)],
    ),
    (
        "apifilechooser.proto",
        "file choosers",
        &[svc("ApiFileChooserService", "ApiFileChooser", 7, LIFE)],
    ),
    (
        "apigridlayout.proto",
        "grid layouts",
        &[svc("ApiGridLayoutService", "ApiGridLayout", 11, LIFE)],
    ),
    (
        "apititlecomponent.proto",
        "title components",
        &[svc(
            "ApiTitleComponentService",
            "ApiTitleComponent",
            3,
            LIFE,
        )],
    ),
    (
        "apiimagecomponent.proto",
        "image components",
        &[svc(
            "ApiImageComponentService",
            "ApiImageComponent",
            3,
            LIFE,
        )],
    ),
    (
        "apiprogressbar.proto",
        "progress bars",
        &[svc("ApiProgressBarService", "ApiProgressBar", 5, LIFE)],
    ),
    (
        "apicollapsiblepanelstack.proto",
        "collapsible panel stacks",
        &[svc(
            "ApiCollapsiblePanelStackService",
            "ApiCollapsiblePanelStack",
            5,
            LIFE,
        )],
    ),
    (
        "apimodaldialog.proto",
        "modal dialogs: a nested `DialogResult` enum next to the top-level one",
        &[svc("ApiModalDialogService", "ApiModalDialog", 7, LIFE)],
    ),
    (
        "apicaches.proto",
        "caches",
        &[svc("ApiCachesService", "ApiCaches", 6, &[])],
    ),
    (
        "apilogmanager.proto",
        "logging",
        &[svc("ApiLogManagerService", "ApiLogManager", 5, &[])],
    ),
    (
        "apisceneexporter.proto",
        "scene export",
        &[svc("ApiSceneExporterService", "ApiSceneExporter", 5, LIFE)],
    ),
    (
        "apireferencegraph.proto",
        "reference graphs",
        &[svc("ApiReferenceGraphService", "ApiReferenceGraph", 8, &[])],
    ),
    (
        "apilocalization.proto",
        "localization",
        &[svc("ApiLocalizationService", "ApiLocalization", 3, &[])],
    ),
    (
        "apisettings.proto",
        "settings",
        &[svc("ApiSettingsService", "ApiSettings", 9, &[])],
    ),
    (
        "apinetrendermanager.proto",
        "net rendering: chunked `bytes` downloads",
        &[svc(
            "ApiNetRenderManagerService",
            "ApiNetRenderManager",
            11,
            &[],
        )],
    ),
    (
        "apipackagemanager.proto",
        "packages",
        &[svc("ApiPackageManagerService", "ApiPackageManager", 6, &[])],
    ),
    (
        "apimeshbuilder.proto",
        "mesh building",
        &[svc("ApiMeshBuilderService", "ApiMeshBuilder", 8, LIFE)],
    ),
    (
        "apianimationexporter.proto",
        "animation export",
        &[svc(
            "ApiAnimationExporterService",
            "ApiAnimationExporter",
            5,
            LIFE,
        )],
    ),
];
